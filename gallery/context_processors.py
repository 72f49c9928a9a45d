from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import Outage, Preferences, Team


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


def theme(request) -> dict:
    """The theme this browser was told to draw pages in; none: the system's light or dark."""
    chosen = request.COOKIES.get(Preferences.THEME_COOKIE, "")
    return {"theme": chosen if chosen in Preferences.Theme.values else ""}
