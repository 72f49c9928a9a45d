"""Teams share one DashScope account: members create into the team gallery, viewers look."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..validators import plain_text

INVITATION_LIFETIME = timedelta(days=7)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")  # creates into and sees the team gallery
    VIEWER = "viewer", _("Viewer")  # only sees


CREATOR_ROLES = (Role.OWNER, Role.MEMBER)


class TeamQuerySet(models.QuerySet):
    def of(self, user, roles=tuple(Role)) -> TeamQuerySet:
        return self.filter(memberships__user=user, memberships__role__in=roles)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=80, validators=[plain_text])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("gallery:team", args=[self.pk])

    def role_of(self, user) -> str | None:
        return self.memberships.filter(user=user).values_list("role", flat=True).first()

    @property
    def owner(self):
        return self.memberships.get(role=Role.OWNER).user

    @classmethod
    def create(cls, name: str, owner) -> Team:
        with transaction.atomic():
            team = cls.objects.create(name=name)
            team.memberships.create(user=owner, role=Role.OWNER)
        return team

    def remove(self, user) -> None:
        """A member leaves or is removed: what they shared stays, owned by the team's owner.
        What is in their trash stays there, made private: handed on, the owner could restore
        what was deleted and show it to the whole team again."""
        with transaction.atomic():
            theirs = self.generations.filter(owner=user)
            theirs.filter(deleted_at__isnull=False).update(team=None)
            theirs.filter(deleted_at__isnull=True).update(owner=self.owner)
            self.memberships.filter(user=user).exclude(role=Role.OWNER).delete()

    def pass_ownership(self, to_user) -> None:
        with transaction.atomic():
            self.memberships.filter(role=Role.OWNER).update(role=Role.MEMBER)
            self.memberships.filter(user=to_user).update(role=Role.OWNER)


class Membership(models.Model):
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_user"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(role="owner"), name="one_owner_per_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _expiry():
    return timezone.now() + INVITATION_LIFETIME


class Invitation(models.Model):
    """A single-use link that adds whoever opens it (logged in) to the team."""

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(
        _("role"), max_length=8, choices=[(Role.MEMBER, _("Member")), (Role.VIEWER, _("Viewer"))]
    )
    token = models.CharField(
        _("token"), max_length=64, unique=True, default=_new_token, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=_expiry)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation to {self.team} as {self.role}"

    def get_absolute_url(self) -> str:
        return reverse("gallery:join", args=[self.token])

    @property
    def is_open(self) -> bool:
        return not self.accepted_at and not self.revoked_at and self.expires_at > timezone.now()

    def accept(self, user) -> bool:
        """Join the team; False if the link was used, revoked or expired meanwhile."""
        now = timezone.now()
        with transaction.atomic():
            used = Invitation.objects.filter(
                pk=self.pk, accepted_at=None, revoked_at=None, expires_at__gt=now
            ).update(accepted_by=user, accepted_at=now)
            if used:
                Membership.objects.get_or_create(
                    team=self.team, user=user, defaults={"role": self.role}
                )
        return bool(used)
