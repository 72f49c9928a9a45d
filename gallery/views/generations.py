from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import tasks
from ..dashscope.catalog import MODELS
from ..forms import CUSTOM_SIZE, GenerationForm
from ..models import GeneratedImage, Generation
from ..permissions import (
    can_manage,
    get_generation_for_author,
    get_generation_for_user,
    get_generation_to_manage,
    teams_to_create_in,
)

HISTORY_PAGE_SIZE = 24


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    initial = _remembered_for(request.user) if request.method == "GET" else None
    form = GenerationForm(request.user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        generation = form.save()
        tasks.kick()
        if request.htmx:
            return render(
                request,
                "gallery/_created.html",
                {
                    "form": GenerationForm(request.user, initial=_remembered(generation)),
                    "generation": generation,
                },
            )
        return redirect("gallery:home")
    if request.htmx and request.method == "POST":
        return render(request, "gallery/_form.html", {"form": form, "models": MODELS.values()})

    history = (
        Generation.objects.visible_to(request.user)
        .filter(owner=request.user)
        .select_related("team")
        .prefetch_related("images")
    )
    page = Paginator(history, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "gallery/home.html", {"form": form, "page": page, "models": MODELS.values()}
    )


def _remembered_for(user) -> dict:
    last = Generation.objects.filter(owner=user).order_by("-created_at").first()
    return _remembered(last) if last else {}


def _remembered(generation: Generation) -> dict:
    """Settings kept on the form after a submit, so the next prompt starts from them."""
    size = f"{generation.width}*{generation.height}"
    if size not in dict(GenerationForm.base_fields["size"].choices):
        size = CUSTOM_SIZE
    return {
        "model": generation.model,
        "size": size,
        "width": generation.width,
        "height": generation.height,
        "n": generation.n,
        "prompt_extend": generation.prompt_extend,
        "watermark": generation.watermark,
        "team": generation.team_id,  # where the last one went: "remembered per user"
    }


@login_required
@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    return render(request, "gallery/_card.html", {"generation": generation})


@login_required
@require_POST
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_for_author(request, pk)
    if generation.recheck():
        tasks.kick()
    if request.htmx:
        return render(request, "gallery/_card.html", {"generation": generation})
    return redirect(generation)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Try a failed generation again, as a new one made from it (never a silent resubmit)."""
    generation = get_generation_for_user(request, pk)
    if generation.can_retry:
        generation.copy().save()
        tasks.kick()
    return redirect("gallery:home")


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """The author shares a private generation with one of their teams."""
    generation = get_generation_for_author(request, pk)
    team = get_object_or_404(teams_to_create_in(request.user), pk=request.POST.get("team") or 0)
    Generation.objects.filter(pk=generation.pk).update(team=team)
    messages.success(request, f"Shared with {team}.")
    return redirect(generation)


@login_required
@require_POST
def unshare(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to private: the author, or the owner of the team it is shared with."""
    generation = get_generation_to_manage(request, pk)
    if generation.team_id:
        team = generation.team
        Generation.objects.filter(pk=generation.pk).update(team=None)
        messages.success(request, f"No longer shared with {team}.")
        if generation.owner_id != request.user.pk:
            return redirect(team)  # the team owner no longer sees it
    return redirect(generation)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    context = {
        "generation": generation,
        "can_manage": can_manage(request.user, generation),
        "share_teams": teams_to_create_in(request.user)
        if generation.owner_id == request.user.pk and not generation.team_id
        else [],
    }
    return render(request, "gallery/detail.html", context)


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int, index: int, kind: str) -> FileResponse:
    generation = get_generation_for_user(request, pk)
    image = get_object_or_404(GeneratedImage, generation=generation, index=index)
    stored = image.original if kind == "original" else image.thumbnail
    if not stored:
        raise Http404
    response = FileResponse(stored.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response
