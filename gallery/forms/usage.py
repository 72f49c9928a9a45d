"""The usage pages' period: from, to and the step, read from the query string."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..listing import date_field
from ..usage_report import Grouping, Period, today

# Columns a chart may have: a year of days, seven years of weeks, thirty of months.
MOST_BUCKETS = 366


class UsagePeriodForm(forms.Form):
    """A wrong value is said at its field, and the page shows the default period (this month
    to today, per day) meanwhile: a mistyped bookmark never answers a 500."""

    since = date_field(_("From"))
    until = date_field(_("To"))
    by = forms.ChoiceField(label=_("Per"), required=False, choices=Grouping.choices)

    def __init__(self, data, **kwargs) -> None:
        """Bound to `data` where it asks for a period; else showing this month's."""
        asked = data if any(data.get(name) for name in self.base_fields) else None
        month = Period.this_month()
        initial = {"since": month.first, "until": month.last, "by": month.by}
        super().__init__(asked, auto_id="usage-%s", initial=initial, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        until = data.get("until") or max(today(), data.get("since") or today())
        since = data.get("since") or until.replace(day=1)
        if until < since:
            self.add_error("until", _("The end date is before the start date."))
            return data
        data["period"] = period = Period(since, until, Grouping(data.get("by") or Grouping.DAY))
        if period.bucket_count() > MOST_BUCKETS:
            self.add_error(
                "by",
                _("That is more than %(most)s columns: choose a longer step or a shorter period.")
                % {"most": MOST_BUCKETS},
            )
        return data

    @property
    def period(self) -> Period:
        """The period asked for, or this month's while something asked is wrong."""
        if self.is_valid():
            return self.cleaned_data["period"]
        return Period.this_month()

    @staticmethod
    def query(period: Period) -> str:
        """The query string that asks for `period`."""
        return f"since={period.first:%Y-%m-%d}&until={period.last:%Y-%m-%d}&by={period.by}"
