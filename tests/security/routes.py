"""Every route the project has, as a concrete URL, for the tests that ask them all."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

# Values for the routes' parameters; which object they name does not matter: the check runs
# before any view.
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>([^)]*)\)")
CHOSEN = {"app_label": "gallery", "url": "anything"}


def every_route() -> list[str]:
    """A concrete URL for every pattern the project routes, the admin's and auth's included."""
    urls = []

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                urls.append("/" + ARGUMENT.sub(fill, text).replace("^", "").replace("$", ""))

    def fill(match: re.Match) -> str:
        name = match[2] or match[3]
        return CHOSEN.get(name, "1")

    walk(get_resolver().url_patterns, "")
    return sorted(set(urls))


ROUTES = every_route()
