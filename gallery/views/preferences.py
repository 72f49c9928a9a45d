"""What a person chooses, the language and the light or dark theme (in the menu) and the time
zone (on their settings page): kept in a cookie for this browser and in their Preferences, so
that logging in on another device brings them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from ..forms import TimeZoneForm
from ..models import Preferences
from . import redirect_back

Theme = Preferences.Theme
THEME_COOKIE = Preferences.THEME_COOKIE
TIME_ZONE_COOKIE = Preferences.TIME_ZONE_COOKIE


def _remember(request: HttpRequest, **choice: str) -> None:
    if request.user.is_authenticated:
        Preferences.objects.update_or_create(user=request.user, defaults=choice)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language")
    if language not in dict(settings.LANGUAGES):  # Django's would take any it has words for
        return HttpResponseBadRequest(_("wanxweb does not speak this language."))
    _remember(request, language=language)
    return i18n.set_language(request)


@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    theme = request.POST.get("theme")
    if theme not in Theme.values:
        return HttpResponseBadRequest(_("There is no such theme."))
    _remember(request, theme=theme)
    response = redirect_back(request, "gallery:home")
    set_choice_cookie(response, THEME_COOKIE, theme)
    return response


def set_choice_cookie(response: HttpResponse, name: str, value: str) -> None:
    """This browser's cookie for a choice (the theme, the time zone); none for "the default"."""
    if value:
        # As long-lived and as readable as the language cookie: only how pages look depends on it.
        response.set_cookie(name, value, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
    else:
        response.delete_cookie(name, samesite="Lax")


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    chosen, _created = Preferences.objects.get_or_create(user=request.user)
    form = TimeZoneForm(request.POST or None, instance=chosen)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        response = redirect("settings")
        set_choice_cookie(response, TIME_ZONE_COOKIE, chosen.time_zone)
        return response
    return render(request, "registration/settings.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's login, which then speaks and looks as the person chose before, if they did."""

    def get_context_data(self, **kwargs) -> dict:
        return {
            **super().get_context_data(**kwargs),
            "signup_open": settings.SIGNUP == "open",
            "password_reset": settings.EMAIL_CONFIGURED,
        }

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        chosen = Preferences.objects.filter(user=form.get_user()).first()
        if chosen is None:
            return response
        if chosen.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        set_choice_cookie(response, THEME_COOKIE, chosen.theme)
        set_choice_cookie(response, TIME_ZONE_COOKIE, chosen.time_zone)
        return response
