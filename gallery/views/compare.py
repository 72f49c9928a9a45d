"""Comparing two generations side by side, the parameters that differ marked and the words
that changed in their prompts highlighted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..ids import parse_id
from ..models import Generation
from ..permissions import get_generation_for_user


@login_required
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Two generations side by side (`?a=<pk>&b=<pk>`), the parameters that differ marked."""
    a = _generation_from_query(request, "a")
    b = _generation_from_query(request, "b")
    rows = compared_rows(a, b)
    context = {
        "a": a,
        "b": b,
        "pair": [a, b],
        "rows": rows,
        "differences": sum(row.differs for row in rows),
    }
    return render(request, "gallery/compare.html", context)


@dataclass
class Row:
    label: str
    a: object
    b: object
    parameter: bool = True  # differences are highlighted for parameters only
    a_parts: list[tuple[str, bool]] = field(default_factory=list)  # text, changed
    b_parts: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return self.parameter and self.a != self.b


# Latin words, runs of white space, and single other characters (each CJK character is a word).
TOKEN = re.compile(r"[0-9A-Za-zÀ-ɏ'’-]+|\s+|.", re.DOTALL)


def word_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts cut into (text, changed) runs: what the other one does not have is changed."""
    a_tokens, b_tokens = TOKEN.findall(a), TOKEN.findall(b)
    a_parts: list[tuple[str, bool]] = []
    b_parts: list[tuple[str, bool]] = []
    matcher = SequenceMatcher(None, a_tokens, b_tokens, autojunk=False)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        changed = tag != "equal"
        if a_start < a_end:
            a_parts.append(("".join(a_tokens[a_start:a_end]), changed))
        if b_start < b_end:
            b_parts.append(("".join(b_tokens[b_start:b_end]), changed))
    return a_parts, b_parts


def compared_rows(a: Generation, b: Generation) -> list[Row]:
    def on_off(value: bool) -> str:
        return _("on") if value else _("off")

    def when(moment: datetime) -> str:
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")

    def seed(generation: Generation) -> str:
        return _("random") if generation.seed is None else str(generation.seed)

    rows = [
        Row(_("Prompt"), a.prompt, b.prompt),
        Row(_("Negative prompt"), a.negative_prompt, b.negative_prompt),
        # DashScope's rewrite: an outcome, not a choice, so its words are marked but not the row.
        Row(_("Actual prompt"), a.actual_prompt, b.actual_prompt, parameter=False),
        Row(_("Model"), a.model, b.model),
        Row(_("Size"), a.size, b.size),
        Row(_("Images"), a.n, b.n),
        Row(_("Seed"), seed(a), seed(b)),
        Row(_("Prompt extend"), on_off(a.prompt_extend), on_off(b.prompt_extend)),
        Row(_("Watermark"), on_off(a.watermark), on_off(b.watermark)),
        Row(_("Status"), a.get_status_display(), b.get_status_display(), parameter=False),
        Row(_("Made by"), a.owner.get_username(), b.owner.get_username(), parameter=False),
        Row(_("Created"), when(a.created_at), when(b.created_at), parameter=False),
    ]
    for row in rows[:3]:
        if row.a != row.b:
            row.a_parts, row.b_parts = word_diff(row.a, row.b)
    return rows


def _generation_from_query(request: HttpRequest, name: str) -> Generation:
    pk = parse_id(request.GET.get(name))
    if pk is None:
        raise Http404
    return get_generation_for_user(request, pk)
