"""Text checks shared by the prompt form and the models people name or write in."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Bidi embeddings, overrides and isolates make a text read differently on the page from what is
# sent ("Trojan Source"); other control characters have no place in a prompt or a name. NUL is
# refused before this, by Django's own validator. Marks such as U+200F (RLM) stay: RTL text
# needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CONTROLS = frozenset("\t\n\r")


def plain_text(value: str) -> None:
    for char in value:
        if char in BIDI_CONTROLS:
            raise ValidationError(
                _(
                    "Remove the hidden text-direction character %(code)s: it makes the text read "
                    "differently from what is sent."
                )
                % {"code": f"U+{ord(char):04X}"}
            )
        if unicodedata.category(char) == "Cc" and char not in LINE_CONTROLS:
            raise ValidationError(
                _("Remove the control character %(code)s.") % {"code": f"U+{ord(char):04X}"}
            )
