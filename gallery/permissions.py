"""Who may see and do what. Anything a user may not see answers 404, never 403."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .models import CREATOR_ROLES, Generation, Role, Team


def get_generation_for_user(request: HttpRequest, pk: int) -> Generation:
    """The generation if this user may see it; 404 otherwise (never reveal that it exists)."""
    return get_object_or_404(Generation.objects.visible_to(request.user), pk=pk)


def get_team_for_user(request: HttpRequest, pk: int, roles=tuple(Role)) -> Team:
    """The team if this user holds one of `roles` in it; 404 otherwise."""
    return get_object_or_404(Team.objects.of(request.user, roles).distinct(), pk=pk)


def can_manage(user, generation: Generation) -> bool:
    """Unshare, move to the trash: the author, or the owner of the team it is shared with."""
    if generation.owner_id == user.pk:
        return True
    return generation.team_id is not None and generation.team.role_of(user) == Role.OWNER


def teams_to_create_in(user):
    return Team.objects.of(user, CREATOR_ROLES).distinct()
