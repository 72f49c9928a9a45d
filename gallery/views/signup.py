"""Creating an account: through a team's invitation link (SIGNUP "invite", the default, and
"open"), or at /accounts/signup/ (only "open"); "closed" leaves it to staff, in the admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms import SignUpForm
from ..models import Invitation

# The backend a new account is logged in with (django-axes' own only refuses, never admits).
BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if settings.SIGNUP != "open":
        raise Http404
    if request.user.is_authenticated:
        return redirect("gallery:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save(), backend=BACKEND)
        messages.success(request, _("Welcome to wanxweb."))
        return redirect("gallery:home")
    return render(request, "registration/signup.html", {"form": form})


def join_as_newcomer(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """The invitation page for someone not logged in: an account made and the team joined in
    one step, or, with an account already, the login that comes back here."""
    if settings.SIGNUP == "closed":
        return redirect_to_login(request.get_full_path())
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and invitation.is_open and form.is_valid():
        with transaction.atomic():  # no account is left behind by a link used meanwhile
            user = form.save()
            if invitation.accept(user):
                login(request, user, backend=BACKEND)
                messages.success(request, _("Welcome to %(team)s.") % {"team": invitation.team})
                return redirect(invitation.team)
            transaction.set_rollback(True)
        invitation.refresh_from_db()
    context = {"invitation": invitation, "team": invitation.team, "signup_form": form}
    return render(request, "gallery/join.html", context)
