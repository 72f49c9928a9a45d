from django.conf import settings

from .models import Team


def dashscope_mode(request) -> dict:
    return {"dashscope_simulated": settings.DASHSCOPE_SIMULATED}


def user_teams(request) -> dict:
    """The teams in the user's menu."""
    if not request.user.is_authenticated:
        return {}
    return {"menu_teams": Team.objects.of(request.user).distinct()}
