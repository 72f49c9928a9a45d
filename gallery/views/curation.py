"""What people do with generations afterwards: boards, favourites, and the team's review."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..models import Board, BoardItem, Comment, Favourite, GeneratedImage, Generation, ReviewMark
from ..permissions import (
    boards_to_change,
    can_change_board,
    can_review,
    comments_to_delete,
    get_board_for_user,
    get_card_for_user,
    get_comment_to_delete,
    get_generation_for_user,
    get_generation_to_review,
    get_stored_image,
    teams_to_create_in,
)
from . import redirect_back, review


class BoardForm(forms.ModelForm):
    """A new board: personal, or shared by one of the teams the user creates in."""

    class Meta:
        model = Board
        fields = ["name", "team"]
        labels = {"team": "Where"}

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams_to_create_in(user)
        self.fields["team"].empty_label = "Personal (only you)"

    def save(self, commit: bool = True) -> Board:
        # Either personal or the team's, never both (the table's check constraint agrees).
        self.instance.owner = None if self.instance.team_id else self.user
        return super().save(commit)


class RenameBoardForm(forms.ModelForm):
    class Meta:
        model = Board
        fields = ["name"]


class AddToBoardForm(forms.Form):
    board = forms.ModelChoiceField(queryset=Board.objects.none())

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = boards_to_change(user)


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": "Comment"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}


def _visible_items(user):
    """Board items whose image this user may see: an image unshared or moved to the trash
    after it was added drops out of a team's board (and comes back if shared or restored)."""
    return BoardItem.objects.filter(image__generation__in=Generation.objects.visible_to(user))


# Boards


@login_required
@require_http_methods(["GET", "POST"])
def board_list(request: HttpRequest) -> HttpResponse:
    """The user's personal boards and their teams' boards; a form to make a new one."""
    form = BoardForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        board = form.save()
        messages.success(request, f"Board “{board}” created.")
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
    """The board as a scope of the review view: its images, searched and filtered by what their
    generations are, newest added first."""
    on_board = BoardItem.objects.filter(board=board).values("image__generation")
    can_change = can_change_board(request.user, board)
    scope = review.Scope(
        Generation.objects.visible_to(request.user).filter(pk__in=on_board),
        empty_text="No images on this board yet: add them from any card with “＋ Board”.",
        authors=review.members_of(board.team) if board.team_id else None,
        reviews=board.team_id is not None,
        board=board,
        can_change_board=can_change,
    )

    def page_context() -> dict:
        return {
            "board": board,
            "can_change": can_change,
            "rename_form": rename_form,
            "image_count": _visible_items(request.user).filter(board=board).count(),
        }

    return review.review(request, scope, "gallery/board.html", page_context)


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
    messages.success(request, f"Renamed to “{board}”.")
    return redirect(board)


@login_required
@require_POST
def delete_board(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_board_for_user(request, pk, change=True)
    board.delete()  # its items go with it; the images stay in the gallery
    messages.success(request, f"Board “{board}” deleted; its images stay in the gallery.")
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


def _with_boards(user, images: list[GeneratedImage]) -> list[GeneratedImage]:
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
        _, created = BoardItem.objects.get_or_create(
            board=board, image=image, defaults={"added_by": request.user}
        )
        notice = f"Added to “{board}”." if created else f"Already on “{board}”."
        if not request.htmx:
            messages.success(request, notice)
            return redirect_back(request, generation)
    _with_boards(request.user, [image])
    context = {
        "generation": generation,
        "image": image,
        "board_choices": list(boards_to_change(request.user).select_related("team")),
        "board_notice": notice,
    }
    return render(request, "gallery/_add_to_board.html", context)


# Favourites


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


# Team review


def _review_context(request: HttpRequest, generation: Generation, form=None) -> dict:
    if not generation.team_id:
        return {}
    marks = list(generation.marks.select_related("user").order_by("updated_at", "id"))
    deletable = comments_to_delete(request.user).filter(generation=generation)
    return {
        "can_review": can_review(request.user, generation),
        "comments": generation.comments.select_related("author"),
        "deletable_comments": set(deletable.values_list("pk", flat=True)),
        "comment_form": form or CommentForm(),
        "picked_by": [m.user for m in marks if m.mark == ReviewMark.Mark.PICKED],
        "rejected_by": [m.user for m in marks if m.mark == ReviewMark.Mark.REJECTED],
        "my_mark": next((m.mark for m in marks if m.user_id == request.user.pk), ""),
    }


def detail_context(request: HttpRequest, generation: Generation) -> dict:
    """What the detail page adds for this user: a board form per image, the team's review."""
    _with_boards(request.user, list(generation.images.all()))
    return {
        "board_choices": list(boards_to_change(request.user).select_related("team")),
        **_review_context(request, generation),
    }


def _review_response(request: HttpRequest, generation: Generation, form=None) -> HttpResponse:
    if not request.htmx:
        return redirect(f"{generation.get_absolute_url()}#review")
    generation = get_card_for_user(request, generation.pk)  # fresh counts for the card
    context = {"generation": generation, **_review_context(request, generation, form)}
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
    return _review_response(request, generation, form)


@login_required
@require_POST
def delete_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Its author, or the owner of the generation's team; 404 for anyone else."""
    comment = get_comment_to_delete(request, pk)
    comment.delete()
    return _review_response(request, comment.generation)


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
        return HttpResponseBadRequest("A mark is picked, rejected, or empty to clear it.")
    return _review_response(request, generation)
