"""Changing one's password: Django's view, with wrong old passwords limited like logins; and
resetting it by email, where email can be sent."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse

from ..forms import LimitedPasswordChangeForm


def by_email(view):
    """`view`, or a 404 where no email can be sent (no EMAIL_URL)."""

    @functools.wraps(view)
    def where_email_goes(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.EMAIL_CONFIGURED:
            raise Http404
        return view(request, *args, **kwargs)

    return where_email_goes


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}
