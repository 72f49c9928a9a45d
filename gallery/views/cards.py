"""A generation's card: the fragment an active card reloads itself with, and what its buttons
do (star, cancel, check again, retry), each answering with the fresh card part for HTMX."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import budgets, lifecycle, references, tasks, waiting
from ..models import Favourite, Generation
from ..permissions import get_card_for_user, get_generation_for_author, get_generation_for_user
from . import redirect_back


def _render_card(request: HttpRequest, generation: Generation, notice: str = "") -> HttpResponse:
    """The generation's card, or its tiles for a listing (`?listed=1`)."""
    if request.GET.get("listed") != "1":
        return render(request, "gallery/_card.html", {"generation": generation, "notice": notice})
    waiting.note_waits([generation])  # what its placeholders say
    return render(request, "gallery/_tiles.html", {"generation": generation, "notice": notice})


@login_required
@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    """The card (or tiles) alone: what an active one reloads itself with, every second or so."""
    try:
        generation = Generation.objects.visible_to(request.user).card(request.user, pk)
    except Generation.DoesNotExist:
        raise Http404 from None
    return _render_card(request, generation)


@login_required
@require_POST
def star(request: HttpRequest, pk: int) -> HttpResponse:
    """Star (starred=1) or unstar (starred=0): a state, not a toggle, so a repeated request
    cannot flip it back."""
    generation = get_generation_for_user(request, pk)
    generation.starred = request.POST.get("starred") == "1"
    if generation.starred:
        Favourite.objects.get_or_create(user=request.user, generation=generation)
    else:
        Favourite.objects.filter(user=request.user, generation=generation).delete()
    if request.htmx:
        return render(request, "gallery/_star.html", {"generation": generation})
    return redirect_back(request, generation)


@login_required
@require_POST
def cancel_generation(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_for_author(request, pk)
    notice = lifecycle.cancel(generation)
    if request.htmx:
        return _render_card(request, get_card_for_user(request, pk), notice=notice)
    messages.info(request, notice)
    return redirect(generation)


@login_required
@require_POST
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_for_author(request, pk)
    if lifecycle.recheck(generation):
        tasks.kick()
    if request.htmx:
        return _render_card(request, get_card_for_user(request, pk))
    return redirect(generation)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Its author tries a failed generation again, as a new one made from it (never a silent
    resubmit; anyone else remixes instead)."""
    generation = get_generation_for_author(request, pk)
    if generation.retry_needs_a_change:  # to the form, filled in as it was sent, to change
        return redirect(f"{reverse('gallery:home')}?remix={generation.pk}&same_seed=1")
    if generation.can_retry:
        again = generation.copy()

        def save() -> None:  # the dispatcher never sees the copy without its references
            again.save()
            boxes = references.carried_over(generation)
            picks = references.resolve_all(request.user, list(boxes))
            references.attach(again, picks, [boxes[pick.token] for pick in picks])

        try:
            budgets.create(again, save)
        except budgets.OverBudget as refusal:
            messages.error(request, str(refusal))
        else:
            tasks.kick()
    return redirect("gallery:home")
