"""The usage pages: what the ledger says was spent, by the person, by a team, by everyone (for
staff), over a chosen period; as charts and tables, or as CSV (`?format=csv`)."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import budgets, usage_chart, usage_report
from ..forms import UsagePeriodForm
from ..models import UsageEntry
from ..permissions import get_team_for_usage


@login_required
@require_GET
def my_usage(request: HttpRequest) -> HttpResponse:
    """Everything the person made, private and team work alike."""
    entries = UsageEntry.objects.filter(user=request.user)
    return _usage_page(
        request, entries, heading=_("Your usage"), file_name="mine", budget_of=request.user
    )


@login_required
@require_GET
def team_usage(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_usage(request, pk)
    return _usage_page(
        request,
        UsageEntry.objects.filter(team=team),
        heading=_("Usage of %(team)s") % {"team": team},
        file_name=f"team-{team.pk}",
        people=team.sees_per_person,
        team=team,
        budget_of=team,
    )


@login_required
@require_GET
def all_usage(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404  # as anything one may not see
    return _usage_page(
        request,
        UsageEntry.objects.all(),
        heading=_("Everyone's usage"),
        file_name="all",
        people=True,
        teams=True,
    )


def _usage_page(
    request: HttpRequest,
    entries: QuerySet[UsageEntry],
    heading: str,
    file_name: str,
    people: bool = False,
    teams: bool = False,
    team=None,
    budget_of=None,
) -> HttpResponse:
    form = UsagePeriodForm(request.GET)
    period = form.period
    if request.GET.get("format") == "csv":
        return _csv(entries, period, f"wanxweb-usage-{file_name}", people, teams)
    report = usage_report.report(entries, period, people=people, teams=teams)
    quick = [
        (label, UsagePeriodForm.query(choice), choice == period)
        for label, choice in usage_report.quick_periods()
    ]
    return render(
        request,
        "gallery/usage.html",
        {
            "heading": heading,
            "team": team,
            "form": form,
            "quick_periods": quick,
            "csv_query": f"{UsagePeriodForm.query(period)}&format=csv",
            "report": report,
            "charts": usage_chart.charts(report),
            "time_zone": usage_report.ledger_zone().key,
            # this month against the budget, whatever the period shown
            "standing": budgets.standing_of(budget_of) if budget_of else None,
        },
    )


def _csv(
    entries: QuerySet[UsageEntry], period, file_name: str, people: bool, teams: bool
) -> HttpResponse:
    """A row per period, model (and person, team) that billed anything. The header names are
    the same in every language, for the programs that read them."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}-{period.file_part()}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "period_start",
            "model",
            *(["person"] if people else []),
            *(["team"] if teams else []),
            "images",
            "cost_cny",
        ]
    )
    for row in usage_report.detailed_rows(entries, period, people=people, teams=teams):
        writer.writerow(
            [
                f"{row['start']:%Y-%m-%d}",
                row["model"],
                *([row["user__username"] or ""] if people else []),
                *([row["team__name"] or ""] if teams else []),
                row["total_images"],
                "" if row["cost"] is None else f"{row['cost'].normalize():f}",
            ]
        )
    return response
