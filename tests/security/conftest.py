"""The browser fixtures of tests/browser, for the browser tests here (test_*_browser.py)."""

from ..browser.conftest import (  # noqa: F401 (fixtures)
    alice_page,
    browser_type_launch_args,
    live_server,
)
