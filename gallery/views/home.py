"""The home page: the prompt form beside the user's own history (the listing's "mine")."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .. import budgets, listing, references, tasks, waiting
from ..dashscope.catalog import EDITING_MODEL, MODELS
from ..forms import CUSTOM_SIZE, REDRAWN_BY, GenerationForm, size_choices
from ..ids import parse_id
from ..models import Generation
from ..permissions import get_card_for_user, teams_to_create_in


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    mine = listing.mine(request.user)
    form = None
    if request.method == "POST":
        answer = submit(request, mine)
        if isinstance(answer, HttpResponse):
            return answer
        form = answer
    page = listing.read(request, mine)
    if page.results_only:  # the filters' HTMX requests get the results
        return page.results()
    initial = {**remembered_for(request.user), **_remix(request), **_reference(request)}
    return page.render(
        "gallery/home.html",
        {"form": form or GenerationForm(request.user, initial=initial)},
    )


def submit(request: HttpRequest, scope: listing.Scope) -> HttpResponse | GenerationForm:
    """The prompt form's POST on a page beside the listing `scope` (the home page, a team's
    gallery): a redraw (htmx after a change or a "Use as reference", static/js/references.js,
    or the "Remove" of a reference without JavaScript), or a new generation. Without HTMX, a
    form with errors comes back for the page to show."""
    if request.htmx.trigger_name in REDRAWN_BY or {"remove_reference", "add_reference"} & set(
        request.POST
    ):
        form = GenerationForm.redrawn(request.user, request.POST, request.FILES)
    else:
        form = GenerationForm(request.user, request.POST, request.FILES)
        form.instance.owner = request.user
        generation = form.is_valid() and form.save_within_budgets()
        if generation:
            tasks.kick()
            if not request.htmx:
                return redirect(request.path)
            card = get_card_for_user(request, generation.pk)
            waiting.note_waits([card])
            return render(
                request,
                "gallery/_created.html",
                {
                    "form": GenerationForm(request.user, initial=_remembered(generation)),
                    "generation": card,
                    "listed": listing.lists_on_top(request, scope, generation),
                },
            )
    if request.htmx:
        return render(request, "gallery/_form.html", {"form": form})
    return form


@login_required
@require_GET
def standings(request: HttpRequest) -> HttpResponse:
    """The month so far beside Generate, for the team just chosen in the prompt form."""
    chosen = teams_to_create_in(request.user).filter(pk=parse_id(request.GET.get("team")))
    teams = list(chosen)  # none: "Only me", or a team one may not create in
    context = {"standings": budgets.standings(request.user, *teams)}
    return render(request, "gallery/_standings.html", context)


def remembered_for(user) -> dict:
    last = Generation.objects.filter(owner=user).order_by("-created_at").first()
    return _remembered(last) if last else {}


def _remix(request: HttpRequest) -> dict:
    """The form filled in from `?remix=<pk>` (and its seed with `&same_seed=1`) when the user
    may see that generation; nothing otherwise, so an unknown number reveals nothing."""
    pk = parse_id(request.GET.get("remix"))
    if pk is None:
        return {}
    parent = Generation.objects.visible_to(request.user).filter(pk=pk).first()
    if parent is None:
        return {}
    initial = _remembered(parent)
    boxes = references.carried_over(parent)  # by token, in the prompt's order
    del initial["team"]  # where the new one goes stays the user's own choice
    return {
        **initial,
        "prompt": parent.prompt,
        "negative_prompt": parent.negative_prompt,
        "seed": parent.seed if request.GET.get("same_seed") == "1" else None,
        "remix": parent.pk,
        "references": list(boxes),
        "boxes": [references.format_boxes(its_boxes) for its_boxes in boxes.values()],
    }


def _reference(request: HttpRequest) -> dict:
    """The form with `?reference=<token>` (an image's "Use as reference") as its reference,
    and a model that takes one if the remembered model does not."""
    token = request.GET.get("reference", "")
    if references.resolve(request.user, token) is None:
        return {}
    chosen = {"references": [token], "boxes": [""]}
    last = remembered_for(request.user).get("model")
    if last is None or not MODELS[last].reference_images_max:
        chosen["model"] = EDITING_MODEL
    return chosen


def _remembered(generation: Generation) -> dict:
    """Settings kept on the form after a submit, so the next prompt starts from them."""
    size = generation.size_name or f"{generation.width}*{generation.height}"
    if size not in dict(size_choices(MODELS[generation.model])):
        size = CUSTOM_SIZE
    return {
        "model": generation.model,
        "size": size,
        "width": generation.width,
        "height": generation.height,
        "n": generation.n,
        "prompt_extend": generation.prompt_extend,
        "watermark": generation.watermark,
        "thinking_mode": generation.thinking_mode,
        "enable_sequential": generation.enable_sequential,
        "color_palette": ", ".join(f"{c['hex']} {c['ratio']}" for c in generation.color_palette),
        "team": generation.team_id,  # where the last one went: "remembered per user"
    }
