"""The team's review of a shared generation: its members' comments and their marks, picked or
rejected. Each action answers with the detail page's review section (HTMX) or returns to it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import CommentForm
from ..models import Comment, Generation, ReviewMark
from ..permissions import get_card_for_user, get_comment_to_delete, get_generation_to_review
from .detail import review_section


def _section(request: HttpRequest, generation: Generation, form=None) -> HttpResponse:
    if not request.htmx:
        return redirect(f"{generation.get_absolute_url()}#review")
    generation = get_card_for_user(request, generation.pk)  # fresh counts for the card
    context = {"generation": generation, **review_section(request, generation, form)}
    return render(request, "gallery/_team_review.html", context)


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_to_review(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        Comment.objects.create(
            generation=generation, author=request.user, body=form.cleaned_data["body"]
        )
        form = None
    elif not request.htmx:
        messages.error(request, " ".join(form.errors["body"]))
    return _section(request, generation, form)


@login_required
@require_POST
def delete_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Its author, or the owner of the generation's team; 404 for anyone else."""
    comment = get_comment_to_delete(request, pk)
    comment.delete()
    return _section(request, comment.generation)


@login_required
@require_POST
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Set this member's one mark, picked or rejected; an empty mark clears it."""
    generation = get_generation_to_review(request, pk)
    value = request.POST.get("mark", "")
    if value in ReviewMark.Mark.values:
        ReviewMark.objects.update_or_create(
            generation=generation,
            user=request.user,
            defaults={"mark": value, "updated_at": timezone.now()},
        )
    elif value == "":
        ReviewMark.objects.filter(generation=generation, user=request.user).delete()
    else:
        return HttpResponseBadRequest(_("A mark is picked, rejected, or empty to clear it."))
    return _section(request, generation)
