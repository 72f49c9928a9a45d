from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutageQuerySet(models.QuerySet):
    def current(self) -> Outage | None:
        return self.filter(ended_at=None).order_by("-started_at").first()

    def last_ended_at(self):
        return self.exclude(ended_at=None).aggregate(at=models.Max("ended_at"))["at"]


class Outage(models.Model):
    """A time DashScope did not answer (no connection, timeouts, 5xx), as the dispatcher saw
    it: every page shows the current one, /healthz/worker reports it, and no record times out
    here while one lasts."""

    started_at = models.DateTimeField(_("started at"))  # the first failed call of the run
    ended_at = models.DateTimeField(
        _("ended at"), null=True, blank=True
    )  # the first answer after it
    cause = models.CharField(_("cause"), max_length=200)  # the last failure, in the client's words
    failed_calls = models.PositiveIntegerField(_("failed calls"), default=0)

    objects = OutageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.cause}"
