"""Monthly budgets on the shared key. A generation is made only when its worst case (n × the
price) fits what both its author's and its team's budgets have left this month; it holds that
while it is queued or at DashScope (`Generation.RESERVING`), and what its task ends with is
what it spent: the ledger's billed images, nothing for a failure. There is no counter to keep
in step: a month's use is always worked out, in one statement, from the ledger and from the
generations still holding.

Two requests must not both take the last of a budget: each locks the budgets it checks
(PostgreSQL's row lock, in one order; SQLite's transactions take the database's write lock
as they begin) and works out their use only after it holds them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import F, Func, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import usage_report
from .dashscope import catalog
from .models import Budget, Generation, Preferences, Team, UsageEntry

Unit = Budget.Unit
WARNED_AT = (80, 100)  # % of a budget spent: the person is told, and the team's owner mailed
Saved = TypeVar("Saved")


class OverBudget(Exception):
    """The generation would not fit a budget: `str()` says by how much, in numbers."""


def month_start(now: datetime | None = None) -> datetime:
    """The start of this calendar month in TIME_ZONE, where budgets count months."""
    local = timezone.localtime(now, usage_report.ledger_zone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Standing:
    """A person's or a team's month so far, and their budget if they have one."""

    team: Team | None  # None: the person's own
    unit: str | None  # a Budget.Unit; None without a budget
    limit: Decimal | None
    spent_images: int  # billed, in the ledger
    spent_cost: Decimal
    held_images: int  # the worst case of what is queued or at DashScope
    held_cost: Decimal

    @property
    def has_budget(self) -> bool:
        return self.unit is not None

    @property
    def in_images(self) -> bool:
        return self.unit == Unit.IMAGES

    @property
    def used(self) -> Decimal:
        """Spent and held, in the budget's unit."""
        if self.in_images:
            return Decimal(self.spent_images + self.held_images)
        return self.spent_cost + self.held_cost

    @property
    def spent(self) -> Decimal:
        """Billed, in the budget's unit."""
        return Decimal(self.spent_images) if self.in_images else self.spent_cost

    @property
    def left(self) -> Decimal:
        return max(self.limit - self.used, Decimal(0))

    @property
    def percent(self) -> int:
        """How much of the budget is used, in whole %, rounded down (100: nothing left)."""
        return self._percent_of(self.used)

    @property
    def warning(self) -> int:
        """The highest of WARNED_AT that what is used reached; 0 below them all."""
        return self.warning_at(self.used)

    def warning_at(self, amount: Decimal) -> int:
        if not self.has_budget:
            return 0
        percent = self._percent_of(amount)
        return max((level for level in WARNED_AT if percent >= level), default=0)

    def _percent_of(self, amount: Decimal) -> int:
        return min(int(amount * 100 / self.limit), 100) if self.limit else 100

    @property
    def figures(self) -> dict[str, str]:
        """What the budget line and the refusals say, written in the budget's unit."""
        return {
            "used": _amount(self.used, self.unit),
            "left": _amount(self.left, self.unit),
            "limit": _amount(self.limit, self.unit),
            "meter_low": _amount(self.limit * WARNED_AT[0] / 100, self.unit),
        }

    def need(self, generation: Generation) -> Decimal | None:
        """The worst case of `generation` in this budget's unit; None for CNY without a price."""
        if self.in_images:
            return Decimal(generation.n)
        return generation.reserved_cost

    def refusal(self, need: Decimal) -> str:
        figures = {**self.figures, "need": _amount(need, self.unit), "team": self.team}
        if self.in_images:
            needs = ngettext("This needs %(need)s image", "This needs %(need)s images", int(need))
        else:
            needs = _("This needs %(need)s CNY")
        if self.team is None:
            has = _("your budget has %(left)s of %(limit)s left this month.")
        else:
            has = _("the budget of %(team)s has %(left)s of %(limit)s left this month.")
        return f"{needs % figures}; {has % figures}"


def _amount(value: Decimal, unit: str) -> str:
    if unit == Unit.IMAGES:
        return number_format(value, decimal_pos=0)
    return number_format(value, decimal_pos=2)


def _summed(rows: models.QuerySet, value) -> Coalesce:
    """The sum of `value` over `rows`, as a value of the one row the query reads."""
    total = rows.order_by().annotate(total=Func(value, function="SUM")).values("total")
    return Coalesce(Subquery(total), Value(0))


def _month_of(holder: models.Model, month: datetime, prefix: str) -> dict:
    """The annotations that read `holder`'s budget and month so far, named `prefix…`."""
    is_team = isinstance(holder, Team)
    key = {"team_id" if is_team else "user_id": holder.pk}
    billed = UsageEntry.objects.filter(billed_at__gte=month, **key)
    holding = Generation.objects.filter(
        status__in=Generation.RESERVING, **{"team_id" if is_team else "owner_id": holder.pk}
    )
    budget = Budget.objects.filter(**key)
    return {  # costs in millionths of a yuan, summed exactly on SQLite too
        f"{prefix}unit": Subquery(budget.values("unit")),
        f"{prefix}limit": Subquery(budget.values("limit")),
        f"{prefix}spent_images": _summed(billed, F("images")),
        f"{prefix}spent_cost": _summed(billed, usage_report.MILLIONTHS),
        f"{prefix}held_images": _summed(holding, F("n")),
        f"{prefix}held_cost": _summed(holding, usage_report.millionths("reserved_cost")),
    }


def standings(*holders: models.Model, month: datetime | None = None) -> list[Standing]:
    """The month so far of each of `holders` (users and teams), in one statement: a task
    billed meanwhile is counted once, either as held or as spent."""
    month = month or month_start()
    annotations = {}
    for number, holder in enumerate(holders):
        annotations |= _month_of(holder, month, f"h{number}_")
    first = holders[0]
    carrier = Team.objects if isinstance(first, Team) else get_user_model().objects
    row = carrier.filter(pk=first.pk).values("pk").annotate(**annotations).get()
    found = []
    for number, holder in enumerate(holders):
        figures = {name: row[f"h{number}_{name}"] for name in _FIGURES}
        for cost in ("spent_cost", "held_cost"):
            figures[cost] = usage_report.yuan(figures[cost])
        found.append(Standing(team=holder if isinstance(holder, Team) else None, **figures))
    return found


_FIGURES = ("unit", "limit", "spent_images", "spent_cost", "held_images", "held_cost")


def standing_of(holder: models.Model, month: datetime | None = None) -> Standing:
    return standings(holder, month=month)[0]


def create(generation: Generation, save: Callable[[], Saved]) -> Saved:
    """Make `generation` with `save()` if its worst case fits its author's budget and its
    team's this month, holding it against them; else raise OverBudget and make nothing."""
    price = catalog.price(generation.model)
    generation.reserved_cost = None if price is None else price * generation.n
    holders = Q(user_id=generation.owner_id)
    if generation.team_id is not None:
        holders |= Q(team_id=generation.team_id)
    with transaction.atomic():
        locked = Budget.objects.select_for_update().filter(holders).order_by("pk")
        bound = [
            generation.team if team else generation.owner
            for team in locked.values_list("team", flat=True)
        ]
        for standing in standings(*bound) if bound else []:  # read once the locks are held
            need = standing.need(generation)
            if need is None:
                raise OverBudget(
                    _(
                        "%(model)s has no price listed for this region, so it cannot be "
                        "weighed against a budget in CNY."
                    )
                    % {"model": catalog.MODELS[generation.model].label}
                )
            if need > standing.left:
                raise OverBudget(standing.refusal(need))
        return save()


def note_billed(entry: UsageEntry) -> None:
    """After `entry` was billed: mail the team's owner, once a month for each of WARNED_AT,
    when the team's spending reaches it (where email is configured)."""
    if entry.team_id is None or not settings.EMAIL_CONFIGURED:
        return
    standing = standing_of(entry.team)
    level = standing.warning_at(standing.spent)  # billed: what is in flight may yet fail
    month = month_start().date()
    not_yet_told = ~Q(warned_for=month) | Q(warned_percent__lt=level)  # ~Q: or not yet ever
    if level and Budget.objects.filter(not_yet_told, team_id=entry.team_id).update(
        warned_percent=level, warned_for=month
    ):
        transaction.on_commit(lambda: _mail_owner(entry.team, standing, level))


def _mail_owner(team: Team, standing: Standing, level: int) -> None:
    owner = team.owner
    if not owner.email:
        return
    kept = Preferences.objects.filter(user=owner).values_list("language", flat=True).first()
    with translation.override(kept or settings.LANGUAGE_CODE):
        figures = {
            "team": team,
            "percent": level,
            "spent": _amount(standing.spent, standing.unit),
            "limit": _amount(standing.limit, standing.unit),
            "unit": Unit(standing.unit).label,
        }
        subject = _("%(team)s has spent %(percent)s%% of its budget this month") % figures
        body = (
            _(
                "%(team)s has spent %(spent)s of its monthly budget of %(limit)s %(unit)s. As its "
                "owner, you can change the budget on the team's page."
            )
            % figures
        )
    send_mail(subject, body, None, [owner.email])
