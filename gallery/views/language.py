"""The language a person chooses in the menu: Django's own switch, remembered for the user, so
that logging in on another device speaks it too."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from ..models import Preferences


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language")
    if language not in dict(settings.LANGUAGES):  # Django's would take any it has words for
        return HttpResponseBadRequest(_("wanxweb does not speak this language."))
    if request.user.is_authenticated:
        Preferences.objects.update_or_create(user=request.user, defaults={"language": language})
    return i18n.set_language(request)


class LoginView(auth_views.LoginView):
    """Django's login, which then speaks the language the person chose before, if any."""

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        chosen = (
            Preferences.objects.filter(user=form.get_user())
            .values_list("language", flat=True)
            .first()
        )
        if chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
