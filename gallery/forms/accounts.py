"""Teams, invitations, signing up and one's password."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from ..middleware import time_zones
from ..models import Invitation, Preferences, Team


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": _("Name")}


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Invitation._meta.get_field("role").choices)


class SignUpForm(UserCreationForm):
    """A new account: a username and a password Django's validators accept; an email address
    only where one can be sent (for password reset)."""

    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("Optional: where a link to reset your password is sent."),
    )

    class Meta(UserCreationForm.Meta):
        fields = ["username", "email"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not settings.EMAIL_CONFIGURED:
            del self.fields["email"]


class TimeZoneForm(forms.ModelForm):
    """The zone a person's times are shown in; none: the installation's."""

    class Meta:
        model = Preferences
        fields = ["time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        default = _("As this installation: %(zone)s") % {"zone": settings.TIME_ZONE}
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"),
            required=False,
            choices=[("", default), *((zone, zone) for zone in sorted(time_zones()))],
            widget=forms.Select(attrs={"translate": "no"}),  # IANA's names, as they are
            help_text=_("Every time wanxweb shows is in this zone."),
        )


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's, with the old password checked as a login is: wrong ones count towards the
    same lockout (django-axes), and once locked even the right one is refused."""

    def __init__(self, user, *args, request: HttpRequest, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    @sensitive_variables("old_password")
    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        # authenticate() is what axes watches; the lockout page replaces the answer once locked.
        user = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if user is None:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password
