"""Teams: create, invite by single-use link, manage members, leave, and the team's gallery (a
listing of what is shared with it, live while open)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import budgets, listing
from ..forms import BudgetForm, GenerationForm, InvitationForm, TeamForm
from ..models import CREATOR_ROLES, Budget, Invitation, Role, Team
from ..permissions import get_team_for_user
from . import home, signup


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = Team.create(form.cleaned_data["name"], owner=request.user)
        return redirect(team)
    memberships = request.user.memberships.select_related("team")
    return render(request, "gallery/teams.html", {"form": form, "memberships": memberships})


@login_required
@require_GET
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, get_team_for_user(request, pk))


def _team_page(request: HttpRequest, team: Team, budget_form: BudgetForm | None = None):
    role = team.role_of(request.user)
    context = {
        "team": team,
        "role": role,
        "memberships": team.memberships.select_related("user"),
        "invitation_form": InvitationForm(),
        "standing": budgets.standing_of(team),
    }
    if role == Role.OWNER:
        context["invitations"] = [i for i in team.invitations.all() if i.is_open]
        budget = Budget.objects.filter(team=team).first()
        context["budget_form"] = budget_form or BudgetForm(instance=budget)
    return render(request, "gallery/team.html", context)


@login_required
@require_POST
def set_budget(request: HttpRequest, pk: int) -> HttpResponse:
    """The team's owner sets its monthly budget, or removes it ("clear")."""
    team = get_team_for_user(request, pk, roles=[Role.OWNER])
    if "clear" in request.POST:
        Budget.objects.filter(team=team).delete()
        messages.success(request, _("%(team)s has no monthly budget now.") % {"team": team})
        return redirect(team)
    budget = Budget.objects.filter(team=team).first() or Budget(team=team)
    form = BudgetForm(request.POST, instance=budget)
    if not form.is_valid():
        return _team_page(request, team, form)
    form.save()
    messages.success(request, _("The monthly budget of %(team)s is saved.") % {"team": team})
    return redirect(team)


@login_required
@require_http_methods(["GET", "POST"])
def team_gallery(request: HttpRequest, pk: int) -> HttpResponse:
    """The team's listing, with the prompt form for its owner and members, creating into it."""
    team = get_team_for_user(request, pk)
    scope = listing.team_gallery(request.user, team)
    creates = team.role_of(request.user) in CREATOR_ROLES
    form = None
    if request.method == "POST":  # the form's choice of team says who may create in it
        answer = home.submit(request, scope)
        if isinstance(answer, HttpResponse):
            return answer
        form = answer
    page = listing.read(request, scope)
    if page.results_only:
        return page.results()
    if creates and form is None:
        initial = {**home.remembered_for(request.user), "team": team.pk}
        form = GenerationForm(request.user, initial=initial)
    return page.render("gallery/team_gallery.html", {"team": team, "form": form})


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk, roles=[Role.OWNER])
    form = InvitationForm(request.POST)
    if form.is_valid():
        team.invitations.create(role=form.cleaned_data["role"], created_by=request.user)
        messages.success(request, _("Invitation link created: send it to one person."))
    return redirect(team)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk, roles=[Role.OWNER])
    invitation = get_object_or_404(team.invitations, pk=invitation_pk)
    team.invitations.filter(pk=invitation.pk, revoked_at=None).update(revoked_at=timezone.now())
    messages.success(request, _("Invitation revoked."))
    return redirect(team)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("team"), token=token)
    if not request.user.is_authenticated:
        return signup.join_as_newcomer(request, invitation)
    team = invitation.team
    if team.role_of(request.user):
        messages.info(request, _("You are already in %(team)s.") % {"team": team})
        return redirect(team)
    if request.method == "POST" and invitation.accept(request.user):
        messages.success(request, _("Welcome to %(team)s.") % {"team": team})
        return redirect(team)
    invitation.refresh_from_db()
    return render(request, "gallery/join.html", {"invitation": invitation, "team": team})


def _member(team: Team, user_pk: int):
    return get_object_or_404(team.memberships.select_related("user"), user_id=user_pk)


@login_required
@require_POST
def remove_member(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk, roles=[Role.OWNER])
    membership = _member(team, user_pk)
    if membership.role == Role.OWNER:
        messages.error(request, _("Pass ownership on before leaving the team."))
    else:
        team.remove(membership.user)
        messages.success(request, f"{membership.user} was removed; what they shared stays.")
    return redirect(team)


@login_required
@require_POST
def change_role(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk, roles=[Role.OWNER])
    membership = _member(team, user_pk)
    role = request.POST.get("role")
    if role == Role.OWNER:
        team.pass_ownership(membership.user)
        messages.success(request, f"{membership.user} now owns {team}.")
    elif role in (Role.MEMBER, Role.VIEWER) and membership.role != Role.OWNER:
        membership.role = role
        membership.save(update_fields=["role"])
    return redirect(team)


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk)
    if team.role_of(request.user) == Role.OWNER:
        messages.error(request, _("Pass ownership on before leaving the team."))
        return redirect(team)
    team.remove(request.user)
    messages.success(
        request, _("You left %(team)s; what you shared stays in its gallery.") % {"team": team}
    )
    return redirect("gallery:teams")
