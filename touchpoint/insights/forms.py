"""The period filter of the flow monitor and the service reports: `from` and `to` in the query string."""

from datetime import date, timedelta
from typing import Any

from touchpoint.core.forms import PeriodQueryForm
from touchpoint.insights.selectors import Period


class PeriodForm(PeriodQueryForm):
    """The period of the flow monitor and the service reports; a blank start is `default_days` back."""

    def __init__(self, *args: Any, default_days: int = 30, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_days = default_days

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
