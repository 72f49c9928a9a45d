"""Ids typed into URLs, forms and query strings: the one way they are read."""

from __future__ import annotations

import re

# ASCII digits only (int() also takes " 7" and "٣"), and no number the database cannot hold.
ID_PATTERN = re.compile(r"[0-9]{1,18}")


def parse_id(value: str | None) -> int | None:
    """The id `value` spells, or None for anything else: an id out of range reads like a
    missing one, so it answers 404 or is ignored, never a 500."""
    if value is None or not ID_PATTERN.fullmatch(value):
        return None
    return int(value)


class IdConverter:
    """`<id:pk>` in a route: an id out of range does not match, so it is the 404 of a missing
    one (`<int:>` would pass it on to the database, which raises on it)."""

    regex = ID_PATTERN.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
