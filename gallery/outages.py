"""Telling a DashScope outage from a bad call: the dispatcher reports every call's outcome here.

A run of failed calls (no answer, or a 5xx) long enough in both number and time opens an
`Outage`, logged once; the first answer of any kind ends it. Throttling and 4xx are answers.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .dashscope.errors import DashScopeError
from .models import Outage

log = logging.getLogger(__name__)


class OutageWatch:
    def __init__(self) -> None:
        self.current = Outage.objects.current()  # one a previous loop opened
        self.failed_calls = 0
        self.failing_since: datetime | None = None

    @property
    def down(self) -> bool:
        return self.current is not None

    def lets_records_age(self, too_old: datetime) -> bool:
        """Whether records may time out now: not during an outage, nor until GENERATION_MAX_AGE
        after the last one ended (waiting on a DashScope that was down is not their fault)."""
        if self.down:
            return False
        ended = Outage.objects.last_ended_at()
        return ended is None or ended < too_old

    def call_ended(self, outcome: object) -> None:
        if isinstance(outcome, DashScopeError) and outcome.server_side:
            self._failed(outcome)
        else:
            self._answered()

    def _failed(self, error: DashScopeError) -> None:
        now = timezone.now()
        self.failed_calls += 1
        self.failing_since = self.failing_since or now
        cause = f"{error.code}: {error.message}"[:200]
        if self.current is not None:
            Outage.objects.filter(pk=self.current.pk).update(
                cause=cause, failed_calls=self.current.failed_calls + 1
            )
            self.current.failed_calls += 1
        elif (
            self.failed_calls >= settings.DASHSCOPE_OUTAGE_AFTER_FAILURES
            and (now - self.failing_since).total_seconds()
            >= settings.DASHSCOPE_OUTAGE_AFTER_SECONDS
        ):
            self.current = Outage.objects.create(
                started_at=self.failing_since, cause=cause, failed_calls=self.failed_calls
            )
            log.warning(
                "DashScope is not answering since %s (%d calls failed; last: %s); "
                "new tasks wait until it answers again",
                f"{self.failing_since:%H:%M:%S}",
                self.failed_calls,
                cause,
            )

    def _answered(self) -> None:
        self.failed_calls = 0
        self.failing_since = None
        if self.current is None:
            return
        now = timezone.now()
        Outage.objects.filter(pk=self.current.pk).update(ended_at=now)
        log.warning(
            "DashScope answers again, after %d s without (%d calls failed)",
            (now - self.current.started_at).total_seconds(),
            self.current.failed_calls,
        )
        self.current = None
