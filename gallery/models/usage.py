"""The usage ledger: what the shared DashScope key spent, a row per billed task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
