from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import Outage, Team


def dashscope_mode(request) -> dict:
    """Simulated or real, and the current outage: looked up only by a page that shows it."""
    return {
        "dashscope_simulated": settings.DASHSCOPE_SIMULATED,
        "dashscope_outage": SimpleLazyObject(Outage.objects.current),
    }


def user_teams(request) -> dict:
    """The teams in the user's menu. A request refused before the user is known (a Host not
    in ALLOWED_HOSTS) has no `user`, and its 400 page must still render."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu_teams": Team.objects.of(user).distinct()}
