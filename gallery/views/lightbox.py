"""An image's own page, which is also the lightbox: a listing's thumbnail opens it over the
listing (js/lightbox.js asks for the same page by HTMX and shows it in a dialog), and its URL
opens it as a page, so back, reload and a shared link all work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..permissions import boards_to_change, get_card_for_user
from .boards import with_boards


@login_required
@require_GET
def image_page(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    generation = get_card_for_user(request, pk)
    stored = [image for image in generation.images.all() if image.original]
    at = next((i for i, image in enumerate(stored) if image.index == index), None)
    if at is None:
        raise Http404  # no such image, or not stored
    image = stored[at]
    with_boards(request.user, [image])
    context = {
        "generation": generation,
        "image": image,
        "previous": stored[at - 1] if at > 0 else None,
        "next": stored[at + 1] if at + 1 < len(stored) else None,
        "position": at + 1,
        "stored": len(stored),
        "board_choices": list(boards_to_change(request.user).select_related("team")),
    }
    template = "gallery/_lightbox.html" if request.htmx else "gallery/image.html"
    return render(request, template, context)
