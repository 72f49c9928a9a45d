"""The usage pages' charts as numbers for templates/gallery/_usage_chart.html to draw: a column
per day, week or month, and a bar per model, person or team. Sizes are SVG attributes worked out
here (the Content-Security-Policy allows no style attribute, and the template language is no
place for arithmetic). Cost is drawn in CNY; images only when none had a known price."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .usage_report import Grouping, Line, Report

HEIGHT = 100  # the columns' viewBox height; CSS stretches the SVG to the chart's height
PITCH = 10  # viewBox units each column takes, the gap between columns included
GAP = 2
# Axis labels: about this many fit under the chart on a phone, and on a wide screen.
LABELS_NARROW = 7
LABELS_WIDE = 28


@dataclass(frozen=True)
class Column:
    slot: float  # where its column starts, the gap included (the part that answers hover)
    x: float
    y: float
    height: float
    label: str  # under the axis; empty where the labels are thinned out
    label_class: str  # "wide": shown on wide screens only
    caption: str  # the period's figures, for screen readers and on hover


@dataclass(frozen=True)
class Bar:
    line: Line
    width: float  # percent of the largest


@dataclass(frozen=True)
class Charts:
    title: str
    in_cost: bool  # drawn in CNY; else in images (no image had a known price)
    columns: list[Column]
    width: int  # the columns' viewBox width
    pitch: int
    bar_width: int
    top: str  # the scale's top and middle, in the chart's unit
    middle: str
    periods: list[Bar]
    models: list[Bar]
    people: list[Bar] | None
    teams: list[Bar] | None


def titles() -> dict[tuple[Grouping, bool], str]:
    """The columns' title, by step and whether they show cost (else images)."""
    return {
        (Grouping.DAY, True): _("Cost per day (CNY)"),
        (Grouping.WEEK, True): _("Cost per week (CNY)"),
        (Grouping.MONTH, True): _("Cost per month (CNY)"),
        (Grouping.DAY, False): _("Images per day"),
        (Grouping.WEEK, False): _("Images per week"),
        (Grouping.MONTH, False): _("Images per month"),
    }


def charts(report: Report) -> Charts:
    in_cost = report.total.cost > 0
    top = nice_ceiling(max((_measure(line, in_cost) for line in report.buckets), default=0))
    count = len(report.buckets)
    # Every label shown on a phone is shown on a wide screen too, evenly between the others.
    wide = math.ceil(count / LABELS_WIDE)
    narrow = wide * math.ceil(math.ceil(count / LABELS_NARROW) / wide)
    columns = []
    for index, line in enumerate(report.buckets):
        height = round(float(_measure(line, in_cost) / top) * HEIGHT, 2)
        shown = index % narrow == 0 or index % wide == 0
        columns.append(
            Column(
                slot=index * PITCH,
                x=index * PITCH + GAP / 2,
                y=HEIGHT - height,
                height=height,
                label=axis_label(line.start, report.period.by) if shown else "",
                label_class="" if index % narrow == 0 else "wide",
                caption=caption(line),
            )
        )

    def bars(lines: list[Line] | None) -> list[Bar] | None:
        if lines is None:
            return None
        largest = max((_measure(line, in_cost) for line in lines), default=0) or 1
        return [
            Bar(line, round(float(_measure(line, in_cost) / largest) * 100, 2)) for line in lines
        ]

    return Charts(
        title=titles()[report.period.by, in_cost],
        in_cost=in_cost,
        columns=columns,
        width=count * PITCH,
        pitch=PITCH,
        bar_width=PITCH - GAP,
        top=f"{top:g}",
        middle=f"{top / 2:g}",
        periods=bars(report.buckets),
        models=bars(report.models),
        people=bars(report.people),
        teams=bars(report.teams),
    )


def nice_ceiling(value: Decimal | int) -> Decimal:
    """The scale's top: the least 1, 2 or 5 times a power of ten at or above `value`, so the
    scale reads in round figures."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** math.floor(math.log10(value))
    return next(power * step for step in (1, 2, 5, 10) if power * step >= value)


def axis_label(start: date, by: Grouping) -> str:
    if by == Grouping.MONTH:
        return f"{start:%Y-%m}"
    if by == Grouping.WEEK:
        return f"W{start.isocalendar().week:02d}"
    return f"{start:%m-%d}"


def caption(line: Line) -> str:
    figures = ngettext(
        "%(period)s: %(images)s image, %(cost)s CNY",
        "%(period)s: %(images)s images, %(cost)s CNY",
        line.images,
    ) % {"period": line.label, "images": line.images, "cost": f"{line.cost:.2f}"}
    if not line.unpriced:
        return figures
    return _("%(figures)s (%(unpriced)s of the images had no known price)") % {
        "figures": figures,
        "unpriced": line.unpriced,
    }


def _measure(line: Line, in_cost: bool) -> Decimal | int:
    return line.cost if in_cost else line.images
