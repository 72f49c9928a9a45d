from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import tasks
from .dashscope.catalog import MODELS
from .forms import CUSTOM_SIZE, GenerationForm
from .models import GeneratedImage, Generation

HISTORY_PAGE_SIZE = 24


def _get_generation_for_user(request: HttpRequest, pk: int) -> Generation:
    """The generation if this user may see it; 404 otherwise (never reveal that it exists)."""
    return get_object_or_404(Generation.objects.visible_to(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        generation = form.save()
        tasks.kick()
        if request.htmx:
            return render(
                request,
                "gallery/_created.html",
                {"form": GenerationForm(initial=_remembered(generation)), "generation": generation},
            )
        return redirect("gallery:home")
    if request.htmx and request.method == "POST":
        return render(request, "gallery/_form.html", {"form": form, "models": MODELS.values()})

    history = Generation.objects.visible_to(request.user).prefetch_related("images")
    page = Paginator(history, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "gallery/home.html", {"form": form, "page": page, "models": MODELS.values()}
    )


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
    }


@login_required
@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    return render(request, "gallery/_card.html", {"generation": generation})


@login_required
@require_POST
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    if generation.recheck():
        tasks.kick()
    if request.htmx:
        return render(request, "gallery/_card.html", {"generation": generation})
    return redirect(generation)


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Try a failed generation again, as a new one made from it (never a silent resubmit)."""
    generation = _get_generation_for_user(request, pk)
    if generation.can_retry:
        generation.copy().save()
        tasks.kick()
    return redirect("gallery:home")


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    return render(request, "gallery/detail.html", {"generation": generation})


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int, index: int, kind: str) -> FileResponse:
    generation = _get_generation_for_user(request, pk)
    image = get_object_or_404(GeneratedImage, generation=generation, index=index)
    stored = image.original if kind == "original" else image.thumbnail
    if not stored:
        raise Http404
    response = FileResponse(stored.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response
