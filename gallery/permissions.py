"""Who may see and do what. Anything a user may not see answers 404, never 403."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .models import (
    CREATOR_ROLES,
    Board,
    Comment,
    GeneratedImage,
    Generation,
    Membership,
    Role,
    Team,
)


def get_generation_for_user(request: HttpRequest, pk: int) -> Generation:
    """The generation if this user may see it; 404 otherwise (never reveal that it exists)."""
    return get_object_or_404(Generation.objects.visible_to(request.user), pk=pk)


def get_stored_image(request: HttpRequest, pk: int, index: int) -> GeneratedImage:
    """A stored image of a generation this user may see (`.generation` is that generation);
    404 otherwise, or while the image is not stored."""
    generation = get_generation_for_user(request, pk)
    image = get_object_or_404(generation.images.exclude(original=""), index=index)
    image.generation = generation
    return image


def get_generation_for_author(request: HttpRequest, pk: int) -> Generation:
    """The user's own generation; 404 for anyone else's, even one they can see."""
    generation = get_generation_for_user(request, pk)
    if generation.owner_id != request.user.pk:
        raise Http404
    return generation


def get_generation_to_manage(request: HttpRequest, pk: int) -> Generation:
    """A generation the user may unshare or delete (see `can_manage`); 404 otherwise."""
    generation = get_generation_for_user(request, pk)
    if not can_manage(request.user, generation):
        raise Http404
    return generation


def get_team_for_user(request: HttpRequest, pk: int, roles=tuple(Role)) -> Team:
    """The team if this user holds one of `roles` in it; 404 otherwise."""
    return get_object_or_404(Team.objects.of(request.user, roles).distinct(), pk=pk)


def get_team_for_usage(request: HttpRequest, pk: int) -> Team:
    """A team whose usage the user may see: theirs, whatever their role; staff see every
    team's. 404 otherwise. With `sees_per_person`: who spent what is for its owner and staff;
    the others see its totals. One query."""
    role = Membership.objects.filter(team=OuterRef("pk"), user=request.user).values("role")
    teams = Team.objects.annotate(role=Subquery(role))
    if not request.user.is_staff:
        teams = teams.filter(role__isnull=False)
    team = get_object_or_404(teams, pk=pk)
    team.sees_per_person = request.user.is_staff or team.role == Role.OWNER
    return team


def can_manage(user, generation: Generation) -> bool:
    """Unshare, move to the trash: the author, or the owner of the team it is shared with."""
    if generation.owner_id == user.pk:
        return True
    return generation.team_id is not None and generation.team.role_of(user) == Role.OWNER


def generations_to_manage(user):
    """`can_manage` for many at once: the user's own, and those of teams they own."""
    owned_teams = Team.objects.of(user, [Role.OWNER]).values("pk")
    return Generation.objects.visible_to(user).filter(Q(owner=user) | Q(team__in=owned_teams))


def teams_to_create_in(user):
    return Team.objects.of(user, CREATOR_ROLES).distinct()


# Boards, favourites, review


def get_card_for_user(request: HttpRequest, pk: int) -> Generation:
    """As `get_generation_for_user`, with what its card shows this user (star, review counts)."""
    visible = Generation.objects.visible_to(request.user)
    return get_object_or_404(visible.for_cards(request.user), pk=pk)


def can_review(user, generation: Generation) -> bool:
    """Comment on and mark a team generation: its team's owner and members, not viewers."""
    return generation.team_id is not None and generation.team.role_of(user) in CREATOR_ROLES


def get_generation_to_review(request: HttpRequest, pk: int) -> Generation:
    """A team generation the user may comment on and mark (see `can_review`); 404 otherwise."""
    generation = get_generation_for_user(request, pk)
    if not can_review(request.user, generation):
        raise Http404
    return generation


def comments_to_delete(user) -> QuerySet[Comment]:
    """Comments on generations the user sees that they may delete: their own, and every comment
    in the review of a team they own (as `can_manage`: the author, or the team's owner)."""
    owned_teams = Team.objects.of(user, [Role.OWNER]).values("pk")
    return Comment.objects.filter(
        Q(author=user) | Q(generation__team__in=owned_teams),
        generation__in=Generation.objects.visible_to(user),
    )


def get_comment_to_delete(request: HttpRequest, pk: int) -> Comment:
    """A comment the user may delete (see `comments_to_delete`); 404 otherwise."""
    return get_object_or_404(comments_to_delete(request.user).select_related("generation"), pk=pk)


def boards_to_change(user) -> QuerySet[Board]:
    """Boards the user may rename, delete, add to and remove from: their personal boards, and
    the boards of teams where they are owner or member (viewers only look)."""
    return Board.objects.filter(Q(owner=user) | Q(team__in=teams_to_create_in(user).values("pk")))


def can_change_board(user, board: Board) -> bool:
    return boards_to_change(user).filter(pk=board.pk).exists()


def get_board_for_user(request: HttpRequest, pk: int, change: bool = False) -> Board:
    """The board if the user may see it (its owner, its team's members) or, with `change`,
    change it; 404 otherwise."""
    boards = boards_to_change(request.user) if change else Board.objects.visible_to(request.user)
    return get_object_or_404(boards.select_related("team"), pk=pk)
