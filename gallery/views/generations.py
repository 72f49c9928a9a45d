from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from storages.backends.s3 import S3Storage

from .. import lifecycle, tasks
from ..dashscope.catalog import MODELS
from ..forms import CUSTOM_SIZE, ID_PATTERN, GenerationForm
from ..models import Generation
from ..permissions import (
    can_manage,
    get_card_for_user,
    get_generation_for_author,
    get_generation_to_manage,
    get_stored_image,
    teams_to_create_in,
)
from . import curation, lineage, posted_id, review


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The prompt form beside the user's own generations (the review view's "mine" scope)."""
    form = None
    if request.method == "POST":
        form = GenerationForm(request.user, request.POST)
        if form.is_valid():
            form.instance.owner = request.user
            generation = form.save()
            tasks.kick()
            if request.htmx:
                return render(
                    request,
                    "gallery/_created.html",
                    {
                        "form": GenerationForm(request.user, initial=_remembered(generation)),
                        "generation": get_card_for_user(request, generation.pk),
                        "listed": review.lists_on_top(request, review.mine(request), generation),
                    },
                )
            return redirect("gallery:home")
        if request.htmx:
            return render(request, "gallery/_form.html", {"form": form, "models": MODELS.values()})

    def compose() -> dict:  # the full page only: the filters' HTMX requests get the results
        initial = {**_remembered_for(request.user), **_remix(request)}
        return {
            "form": form or GenerationForm(request.user, initial=initial),
            "models": MODELS.values(),
        }

    return review.review(request, review.mine(request), "gallery/home.html", compose)


def _remembered_for(user) -> dict:
    last = Generation.objects.filter(owner=user).order_by("-created_at").first()
    return _remembered(last) if last else {}


def _remix(request: HttpRequest) -> dict:
    """The form filled in from `?remix=<pk>` (and its seed with `&same_seed=1`) when the user
    may see that generation; nothing otherwise, so an unknown number reveals nothing."""
    value = request.GET.get("remix", "")
    if not ID_PATTERN.fullmatch(value):
        return {}
    parent = Generation.objects.visible_to(request.user).filter(pk=int(value)).first()
    if parent is None:
        return {}
    initial = _remembered(parent)
    del initial["team"]  # where the new one goes stays the user's own choice
    return {
        **initial,
        "prompt": parent.prompt,
        "negative_prompt": parent.negative_prompt,
        "seed": parent.seed if request.GET.get("same_seed") == "1" else None,
        "remix": parent.pk,
    }


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
    """The card alone: what an active card reloads itself with, every second or so."""
    try:
        generation = Generation.objects.visible_to(request.user).card(request.user, pk)
    except Generation.DoesNotExist:
        raise Http404 from None
    # A card in a review list keeps its bulk tick box when it refreshes itself.
    selectable = request.GET.get("selectable") == "1"
    return render(
        request, "gallery/_card.html", {"generation": generation, "selectable": selectable}
    )


@login_required
@require_POST
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    generation = get_generation_for_author(request, pk)
    if lifecycle.recheck(generation):
        tasks.kick()
    if request.htmx:
        return render(request, "gallery/_card.html", {"generation": get_card_for_user(request, pk)})
    return redirect(generation)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Its author tries a failed generation again, as a new one made from it (never a silent
    resubmit; anyone else remixes instead)."""
    generation = get_generation_for_author(request, pk)
    if generation.can_retry:
        generation.copy().save()
        tasks.kick()
    return redirect("gallery:home")


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """The author shares a private generation with one of their teams."""
    generation = get_generation_for_author(request, pk)
    team = get_object_or_404(teams_to_create_in(request.user), pk=posted_id(request, "team"))
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
    generation = get_card_for_user(request, pk)
    context = {
        "generation": generation,
        **curation.detail_context(request, generation),  # boards per image, team review
        **lineage.detail_extras(request.user, generation),  # lineage, boards, timings
        "can_manage": can_manage(request.user, generation),
        "share_teams": teams_to_create_in(request.user)
        if generation.owner_id == request.user.pk and not generation.team_id
        else [],
    }
    return render(request, "gallery/detail.html", context)


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int, index: int, kind: str) -> HttpResponse:
    """A stored image for someone who may see it: from object storage, a presigned URL that
    lapses soon; from local files, the file itself, or nginx sends it (X_ACCEL_REDIRECT)."""
    image = get_stored_image(request, pk, index)
    stored = image.original if kind == "original" else image.thumbnail
    if isinstance(stored.storage, S3Storage):
        response = HttpResponseRedirect(stored.url)
        # Browsers may reuse the redirect while the URL it names is still valid.
        response["Cache-Control"] = f"private, max-age={settings.AWS_QUERYSTRING_EXPIRE // 2}"
        return response
    if settings.X_ACCEL_REDIRECT and isinstance(stored.storage, FileSystemStorage):
        response = HttpResponse(content_type=mimetypes.guess_type(stored.name)[0])
        response["X-Accel-Redirect"] = f"/protected-media/{quote(stored.name)}"
    else:
        response = FileResponse(stored.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response
