"""The period filter of the flow monitor and the service reports: `from` and `to` in the query string."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.forms import StyledForm
from touchpoint.insights.selectors import Period

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
MAX_DAYS = 366 * 5
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(StyledForm):
    start = forms.DateField(label=pgettext_lazy("first day of a period", "From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=pgettext_lazy("last day of a period", "To"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, default_days: int = 30, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_days = default_days

    def add_prefix(self, field_name: str) -> str:
        return {"start": "from", "end": "to"}.get(field_name, field_name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if value and not EARLIEST <= value <= LATEST:
                self.add_error(name, _("Choose a date from %(first)s to %(last)s.") % {"first": EARLIEST.year,
                                                                                        "last": LATEST.year})  # fmt: skip
        start, end = data.get("start"), data.get("end")
        if start and end and not self.errors:
            if end < start:
                self.add_error("end", _("The last day comes before the first."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("Choose at most five years."))
        return data

    def period(self, today: date) -> Period:
        """The chosen period; an end left blank is today, a start left blank `default_days` before the end."""
        data = self.cleaned_data if self.is_bound else {}
        end = data.get("end") or today
        start = data.get("start") or min(end, end - timedelta(days=self.default_days - 1))
        return Period(start=start, end=end)


def period_from(query: Any, today: date, default_days: int) -> tuple[PeriodForm, Period | None]:
    """The form to show and the period it asks for; no period when the query is invalid (the form says why)."""
    form = PeriodForm(query or None, default_days=default_days)
    if form.is_bound and not form.is_valid():
        return form, None
    period = form.period(today)
    return PeriodForm(initial={"start": period.start, "end": period.end}, default_days=default_days), period
