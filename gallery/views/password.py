"""Changing one's password: Django's view, with wrong old passwords limited like logins."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from ..forms import LimitedPasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}
