"""The usage ledger: what the shared DashScope key spent, a row per billed task."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..dashscope.catalog import Region


class UsageEntry(models.Model):
    """A task's billed images as DashScope counted them (its `usage.image_count`, never the
    `n` asked for), at the price of that moment: written once, when the task is seen to have
    succeeded (gallery/usage.py), and never rewritten, not by a price changed later nor by the
    generation's going to the trash. Failed and cancelled tasks bill nothing and have none."""

    generation = models.OneToOneField(  # one entry a task; emptied when the trash is purged
        "gallery.Generation",
        verbose_name=_("generation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usage",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="usage",
    )
    team = models.ForeignKey(  # the team it was made for; none for a private one
        "gallery.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usage",
    )
    model = models.CharField(_("model"), max_length=40)
    region = models.CharField(_("region"), max_length=16, choices=[(r, r) for r in Region])
    images = models.PositiveSmallIntegerField(_("images billed"))
    # CNY an image in that region then; empty where the catalog lists no price (and no setting)
    unit_price = models.DecimalField(
        _("price an image"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=6, null=True, blank=True)
    billed_at = models.DateTimeField(_("billed at"), default=timezone.now)

    class Meta:
        verbose_name = _("usage entry")
        verbose_name_plural = _("usage ledger")
        ordering = ["-billed_at", "-id"]
        indexes = [
            models.Index(fields=["billed_at"], name="usage_by_time"),
            models.Index(fields=["user", "billed_at"], name="usage_by_user"),
            models.Index(fields=["team", "billed_at"], name="usage_by_team"),
        ]

    def __str__(self) -> str:
        return f"{self.model} × {self.images} @ {self.unit_price}"


class Budget(models.Model):
    """A monthly limit (calendar months in TIME_ZONE) on what a person, or a team, may spend
    of the shared key, in images or in CNY. Checked when a generation is made
    (gallery/budgets.py): its worst case is held against it until its task ends."""

    class Unit(models.TextChoices):
        IMAGES = "images", pgettext_lazy("the unit of a budget", "images")
        CNY = "cny", pgettext_lazy("the unit of a budget", "CNY")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget",
    )
    team = models.OneToOneField(
        "gallery.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget",
    )
    unit = models.CharField(_("unit"), max_length=6, choices=Unit.choices)
    limit = models.DecimalField(  # 0: nothing may be spent
        _("monthly limit"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    # The warning last sent to the team's owner (80 or 100 %), and for which month: once each.
    warned_percent = models.PositiveSmallIntegerField(_("warned at (%)"), default=0)
    warned_for = models.DateField(_("warned for the month of"), null=True, blank=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) ^ Q(team__isnull=True),
                name="budget_of_a_user_or_a_team",
                violation_error_message=_("A budget is either a person's or a team's."),
            )
        ]

    def __str__(self) -> str:
        limit = int(self.limit) if self.unit == self.Unit.IMAGES else self.limit
        return f"{self.user or self.team}: {limit} {self.get_unit_display()}"

    def clean(self) -> None:
        if self.unit == self.Unit.IMAGES and self.limit is not None and self.limit % 1:
            raise ValidationError({"limit": _("A limit in images is a whole number.")})
