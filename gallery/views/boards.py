"""Boards: the list of the user's and their teams' boards, one board's page (a listing of its
images), renaming and deleting a board, and putting an image on a board or taking it off."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import listing
from ..forms import AddToBoardForm, BoardForm, RenameBoardForm
from ..models import Board, BoardItem, GeneratedImage, Generation
from ..permissions import boards_to_change, get_board_for_user, get_stored_image
from . import redirect_back


def _visible_items(user):
    """Board items whose image this user may see: an image unshared or moved to the trash
    after it was added drops out of a team's board (and comes back if shared or restored)."""
    return BoardItem.objects.filter(image__generation__in=Generation.objects.visible_to(user))


@login_required
@require_http_methods(["GET", "POST"])
def board_list(request: HttpRequest) -> HttpResponse:
    """The user's personal boards and their teams' boards; a form to make a new one."""
    form = BoardForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        board = form.save()
        messages.success(request, _("Board “%(board)s” created.") % {"board": board})
        return redirect(board)
    items = _visible_items(request.user).filter(board=OuterRef("pk"))
    counted = items.order_by().values("board").annotate(n=Count("pk")).values("n")
    boards = (
        Board.objects.visible_to(request.user)
        .select_related("team")
        .annotate(
            image_count=Coalesce(Subquery(counted), 0),
            cover_generation=Subquery(items.values("image__generation")[:1]),  # newest added
            cover_index=Subquery(items.values("image__index")[:1]),
        )
        .order_by(F("team__name").asc(nulls_first=True), "team", "name", "id")
    )
    return render(request, "gallery/boards.html", {"form": form, "boards": boards})


def _board_page(request: HttpRequest, board: Board, rename_form: RenameBoardForm) -> HttpResponse:
    page = listing.read(request, listing.board_scope(request.user, board))
    if page.results_only:
        return page.results()
    context = {
        "board": board,
        "can_change": page.scope.can_change_board,
        "rename_form": rename_form,
        "image_count": _visible_items(request.user).filter(board=board).count(),
    }
    return page.render("gallery/board.html", context)


@login_required
@require_GET
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_board_for_user(request, pk)
    return _board_page(request, board, RenameBoardForm(instance=board))


@login_required
@require_POST
def rename_board(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_board_for_user(request, pk, change=True)
    form = RenameBoardForm(request.POST, instance=board)
    if not form.is_valid():
        board.refresh_from_db()  # the heading keeps the name it still has
        return _board_page(request, board, form)
    form.save()
    messages.success(request, _("Renamed to “%(board)s”.") % {"board": board})
    return redirect(board)


@login_required
@require_POST
def delete_board(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_board_for_user(request, pk, change=True)
    board.delete()  # its items go with it; the images stay in the gallery
    messages.success(
        request, _("Board “%(board)s” deleted; its images stay in the gallery.") % {"board": board}
    )
    return redirect("gallery:boards")


@login_required
@require_POST
def remove_from_board(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    board = get_board_for_user(request, pk, change=True)
    item = get_object_or_404(_visible_items(request.user).filter(board=board), pk=item_pk)
    item.delete()
    if request.htmx:
        return HttpResponse("")  # the figure swaps itself out
    return redirect_back(request, board)


def with_boards(user, images: list[GeneratedImage]) -> list[GeneratedImage]:
    """Set `on_boards` on each image: the boards it is on that this user may see."""
    items = (
        BoardItem.objects.filter(image__in=images, board__in=Board.objects.visible_to(user))
        .select_related("board")
        .order_by("board__name", "board_id")
    )
    found = defaultdict(list)
    for item in items:
        found[item.image_id].append(item.board)
    for image in images:
        image.on_boards = found[image.pk]
    return images


@login_required
@require_http_methods(["GET", "POST"])
def add_to_board(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """GET: the small form for one image (HTMX loads it into the card). POST: put the image
    on one of the boards the user may change; it may be on several."""
    image = get_stored_image(request, pk, index)
    generation = image.generation
    if request.method == "GET" and not request.htmx:
        return redirect(generation)  # the detail page has the form for every image
    notice = ""
    if request.method == "POST":
        form = AddToBoardForm(request.user, request.POST)
        if not form.is_valid():
            raise Http404  # not a board this user may change
        board = form.cleaned_data["board"]
        created = BoardItem.objects.get_or_create(
            board=board, image=image, defaults={"added_by": request.user}
        )[1]
        notice = (_("Added to “%(board)s”.") if created else _("Already on “%(board)s”.")) % {
            "board": board
        }
        if not request.htmx:
            messages.success(request, notice)
            return redirect_back(request, generation)
    with_boards(request.user, [image])
    context = {
        "generation": generation,
        "image": image,
        "board_choices": list(boards_to_change(request.user).select_related("team")),
        "board_notice": notice,
    }
    return render(request, "gallery/_add_to_board.html", context)
