"""The usage pages' figures: ledger entries (gallery/models/usage.py) summed over a period of
calendar days, per day, week or month, per model, per person and per team, one aggregate query
each. Days are those of the installation's TIME_ZONE, in which budgets count their months too,
never the zone a person chose for reading times: everyone's figures must agree."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import BigIntegerField, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce, Round, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import UsageEntry


class Grouping(models.TextChoices):
    DAY = "day", gettext_lazy("day")
    WEEK = "week", gettext_lazy("week")
    MONTH = "month", gettext_lazy("month")


TRUNCATE = {Grouping.DAY: TruncDay, Grouping.WEEK: TruncWeek, Grouping.MONTH: TruncMonth}


# SQLite keeps decimals as floating point, whose sums drift in the last places: costs are
# summed as whole millionths of a yuan (the column's six places), exactly, on every database.
def millionths(field: str) -> Cast:
    return Cast(Round(F(field) * 10**6), BigIntegerField())


MILLIONTHS = millionths("cost")
SUMS = {  # named apart from the fields they sum, as Django requires
    "total_images": Coalesce(Sum("images"), 0),
    "millionths": Coalesce(Sum(MILLIONTHS), 0),
    "unpriced_images": Coalesce(Sum("images", filter=Q(cost=None)), 0),
}


def ledger_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def today() -> date:
    return timezone.localdate(timezone=ledger_zone())


def bucket_start(day: date, by: Grouping) -> date:
    """The first day of the day, week (ISO: from Monday) or month that `day` is in."""
    if by == Grouping.WEEK:
        return day - timedelta(days=day.weekday())
    if by == Grouping.MONTH:
        return day.replace(day=1)
    return day


def next_bucket(start: date, by: Grouping) -> date:
    if by == Grouping.WEEK:
        return start + timedelta(days=7)
    if by == Grouping.MONTH:
        return (start + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """The days from `first` to `last`, both included, in `by`'s steps."""

    first: date
    last: date
    by: Grouping = Grouping.DAY

    @classmethod
    def this_month(cls) -> Period:
        day = today()
        return cls(day.replace(day=1), day)

    def bounds(self) -> tuple[datetime, datetime]:
        """From the first day's midnight to the midnight after the last, in TIME_ZONE."""
        zone = ledger_zone()
        after_last = self.last + timedelta(days=1)
        return datetime.combine(self.first, time(), zone), datetime.combine(
            after_last, time(), zone
        )

    def bucket_count(self) -> int:
        """How many days, weeks or months the chart would have (worked out, not counted: a
        mistyped year must not make the page count a million days)."""
        first, last = bucket_start(self.first, self.by), bucket_start(self.last, self.by)
        if self.by == Grouping.MONTH:
            return (last.year - first.year) * 12 + last.month - first.month + 1
        return (last - first).days // (7 if self.by == Grouping.WEEK else 1) + 1

    def bucket_starts(self) -> list[date]:
        starts, start = [], bucket_start(self.first, self.by)
        while start <= self.last:
            starts.append(start)
            start = next_bucket(start, self.by)
        return starts

    def file_part(self) -> str:
        """For a file name: "2026-12" for a month (to today, for this one), else both days."""
        if bucket_start(self.last, Grouping.MONTH) == self.first:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m-%d}_{self.last:%Y-%m-%d}"

    def __str__(self) -> str:
        return f"{self.first:%Y-%m-%d} – {self.last:%Y-%m-%d}"


def quick_periods() -> list[tuple[str, Period]]:
    """The periods a person asks for most, each under its name."""
    day = today()
    month = day.replace(day=1)
    last_month = (month - timedelta(days=1)).replace(day=1)
    return [
        (_("This month"), Period(month, day)),
        (_("Last month"), Period(last_month, month - timedelta(days=1))),
        (_("Last 30 days"), Period(day - timedelta(days=29), day)),
        (_("This year"), Period(day.replace(month=1, day=1), day, Grouping.MONTH)),
    ]


@dataclass(frozen=True)
class Line:
    """What one slice of the ledger billed: its images, and the cost of those of them that had
    a known price (`unpriced` are the others: counted in `images`, not in `cost`)."""

    label: str
    images: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0
    start: date | None = None  # a period's first day
    team_id: int | None = None  # a team's, on the installation's page

    def __add__(self, other: Line) -> Line:
        return replace(
            self,
            images=self.images + other.images,
            cost=self.cost + other.cost,
            unpriced=self.unpriced + other.unpriced,
        )


@dataclass(frozen=True)
class Report:
    period: Period
    total: Line
    buckets: list[Line]  # every day, week or month of the period, those without usage too
    models: list[Line]
    people: list[Line] | None  # only where the reader may see who spent what
    teams: list[Line] | None  # only on the installation's page


def in_period(entries: QuerySet[UsageEntry], period: Period) -> QuerySet[UsageEntry]:
    since, until = period.bounds()
    return entries.filter(billed_at__gte=since, billed_at__lt=until).order_by()


def bucket_label(start: date, by: Grouping) -> str:
    if by == Grouping.MONTH:
        return f"{start:%Y-%m}"
    if by == Grouping.WEEK:
        return f"{start:%Y-%m-%d} – {start + timedelta(days=6):%m-%d}"
    return f"{start:%Y-%m-%d}"


def report(
    entries: QuerySet[UsageEntry], period: Period, people: bool = False, teams: bool = False
) -> Report:
    """`entries`' figures over `period`: per bucket, model and, if asked, person and team.
    The total is the buckets' sum: each entry of the period is in exactly one of them."""
    entries = in_period(entries, period)
    billed = {
        _local_day(row["start"]): row
        for row in entries.values(start=_bucket(period)).annotate(**SUMS)
    }
    buckets = [
        Line(bucket_label(start, period.by), start=start, **_sums(billed.get(start)))
        for start in period.bucket_starts()
    ]
    models_ = [Line(row["model"], **_sums(row)) for row in entries.values("model").annotate(**SUMS)]
    return Report(
        period=period,
        total=sum(buckets, Line(_("Total"))),
        buckets=buckets,
        models=_by_spending(models_),
        people=_people(entries) if people else None,
        teams=_teams(entries) if teams else None,
    )


def _people(entries: QuerySet[UsageEntry]) -> list[Line]:
    rows = entries.values("user_id", "user__username").annotate(**SUMS)
    return _by_spending(
        [Line(row["user__username"] or _("A deleted account"), **_sums(row)) for row in rows]
    )


def _teams(entries: QuerySet[UsageEntry]) -> list[Line]:
    rows = entries.values("team_id", "team__name").annotate(**SUMS)
    return _by_spending(
        [
            Line(row["team__name"] or _("No team (private)"), team_id=row["team_id"], **_sums(row))
            for row in rows
        ]
    )


def detailed_rows(
    entries: QuerySet[UsageEntry], period: Period, people: bool = False, teams: bool = False
) -> list[dict]:
    """The CSV's rows: one per period, model (and person, team) that billed anything, in that
    order; `cost` None where none of its images had a known price."""
    keys = ["model", *(["user__username"] if people else []), *(["team__name"] if teams else [])]
    rows = (
        in_period(entries, period)
        .values(*keys, start=_bucket(period))
        .annotate(total_images=Sum("images"), millionths=Sum(MILLIONTHS))
        .order_by("start", *keys)
    )
    return [
        {**row, "start": _local_day(row["start"]), "cost": yuan(row["millionths"])} for row in rows
    ]


def yuan(millionths: int | Decimal | None) -> Decimal | None:
    return None if millionths is None else Decimal(millionths).scaleb(-6)


def _bucket(period: Period):
    """The first moment of an entry's day, week or month, in TIME_ZONE."""
    return TRUNCATE[period.by]("billed_at", tzinfo=ledger_zone())


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, ledger_zone()).date()


def _sums(row: dict | None) -> dict:
    if row is None:
        return {}
    return {
        "images": row["total_images"],
        "cost": yuan(row["millionths"]),
        "unpriced": row["unpriced_images"],
    }


def _by_spending(lines: list[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: (-line.cost, -line.images, line.label))
