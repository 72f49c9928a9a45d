"""What browser tests do with a page: log in through the form, hide and show the tab."""

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ENGLISH = ("Username", "Password", "Log in")
CHINESE = ("用户名", "密码", "登录")


def log_in(page: Page, base_url: str, username: str, password: str, words: tuple = ENGLISH) -> None:
    """Fill in and send the real login form, its fields and button named in `words`."""
    username_label, password_label, button = words
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label(username_label).fill(username)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()


def menu(page: Page) -> Page:
    """The menu, unfolded first where it folds (a phone's width)."""
    summary = page.locator("#menu > summary")
    if summary.is_visible() and page.locator("#menu[open]").count() == 0:
        summary.click()
    return page.locator("#menu")


def prompt_options(page: Page):
    """The prompt form's options, unfolded first where a phone folds them."""
    summary = page.locator("#prompt-options > summary")
    if summary.is_visible() and page.locator("#prompt-options[open]").count() == 0:
        summary.click()
    return page.locator("#prompt-options")


# A tab hidden or shown again as the browser would say it: document.hidden, visibilityState and a
# visibilitychange event. It answers how many htmx requests that event sent there and then, so
# "it asks at once" is seen without a stopwatch.
_SET_TAB_HIDDEN = """hidden => {
    Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
    Object.defineProperty(document, "visibilityState",
                          {configurable: true, get: () => hidden ? "hidden" : "visible"});
    let sent = 0;
    const count = () => { sent += 1; };
    document.addEventListener("htmx:beforeSend", count);
    document.dispatchEvent(new Event("visibilitychange"));
    document.removeEventListener("htmx:beforeSend", count);
    return sent;
}"""

# Each time htmx would ask for `selector` and js/live.js refuses (the tab is hidden), count it:
# an element's own timer coming round, known by the page rather than by a stopwatch in the test.
_COUNT_REFUSED = """selector => {
    window.__refused = {selector, count: 0};
    if (window.__countingRefused) return;
    window.__countingRefused = true;
    document.addEventListener("htmx:beforeRequest", event => {
        const refused = window.__refused;
        if (event.defaultPrevented && event.detail.elt.matches(refused.selector)) {
            refused.count += 1;
        }
    });
}"""

# A request htmx sent before the tab was hidden has been answered.
NOTHING_IN_FLIGHT = "() => document.querySelector('.htmx-request') === null"


def hide_tab(page: Page) -> int:
    """Hide the tab; return how many htmx requests that sent at once (it should send none)."""
    return page.evaluate(_SET_TAB_HIDDEN, True)


def show_tab(page: Page) -> int:
    """Show the tab again; return how many htmx requests that sent at once."""
    return page.evaluate(_SET_TAB_HIDDEN, False)


def wait_for_refused_requests(page: Page, selector: str, count: int) -> None:
    """Wait until htmx has tried `count` times to ask for `selector` and each try was refused
    because the tab is hidden: its timers have come round and sent nothing."""
    page.evaluate(_COUNT_REFUSED, selector)
    try:
        page.wait_for_function("count => window.__refused.count >= count", arg=count)
    except PlaywrightTimeoutError:
        refused = page.evaluate("window.__refused.count")
        pytest.fail(f"{selector}: {refused} of {count} requests refused while the tab was hidden")
