"""Filters of the forecast and the sales reports, shared by the pages, their exports and the API."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, limit_choices
from touchpoint.customers.models import PROVINCES
from touchpoint.org.models import Team, User
from touchpoint.sales.models import Product
from touchpoint.sales.reports import GRAINS, MONTH, QUARTER, Filters, add_months, quarter_start

MAX_FORECAST_MONTHS = 36
MAX_REPORT_DAYS = 366 * 5

# Reports look at business years; anything outside is a typo, and far dates would overflow.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 1)

MONTH_INPUT = {"input_formats": ["%Y-%m"], "widget": forms.DateInput(attrs={"type": "month"}, format="%Y-%m")}
DATE_INPUT = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _within_years(form: forms.Form, data: dict[str, Any]) -> None:
    for name in ("start", "end"):
        value = data.get(name)
        if value and not EARLIEST <= value <= LATEST:
            form.add_error(name, _("Choose a date from %(first)s to %(last)s.") % {"first": EARLIEST.year,
                                                                                    "last": LATEST.year})  # fmt: skip
            data.pop(name, None)


class ReportFilterForm(StyledForm):
    """Owner, team, region and product: the narrowing every section of both pages takes."""

    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Any owner"))
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Any team"))
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("Any region"))] + [(p, p) for p in PROVINCES])
    product = forms.ModelChoiceField(label=_("Product"), required=False, queryset=Product.objects.none(),
                                     empty_label=_("Any product"))  # fmt: skip

    def __init__(self, *args: Any, owners: Any = None, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(
            self, owner=owners if owners is not None else User.objects.none(),
            team=Team.objects.order_by("department__order", "name", "id"),
            product=products if products is not None else Product.objects.none(),
        )  # fmt: skip

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_bound else None

    def filters(self) -> Filters:
        owner, team, product = self.value("owner"), self.value("team"), self.value("product")
        return Filters(
            owner_id=owner.pk if owner else None, team_id=team.pk if team else None,
            region=self.value("region") or "", product_id=product.pk if product else None,
        )  # fmt: skip


class ForecastForm(ReportFilterForm):
    start = forms.DateField(label=_("From month"), required=False, **MONTH_INPUT)  # type: ignore[arg-type]
    end = forms.DateField(label=_("To month"), required=False, **MONTH_INPUT)  # type: ignore[arg-type]
    grain = forms.ChoiceField(label=_("By"), required=False, choices=[(QUARTER, _("Quarter")), (MONTH, _("Month"))])
    group_by = forms.ChoiceField(
        label=_("Break down by"), required=False,
        choices=[("owner", _("Owner")), ("team", _("Team")), ("region", _("Region")), ("product", _("Product"))],
    )  # fmt: skip

    field_order = ["start", "end", "grain", "group_by", "owner", "team", "region", "product"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _within_years(self, data)
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last month comes before the first."))
            elif (end.year - start.year) * 12 + end.month - start.month >= MAX_FORECAST_MONTHS:
                self.add_error("end", _("Choose at most %(months)s months.") % {"months": MAX_FORECAST_MONTHS})
        return data

    def dates(self, today: date) -> tuple[date, date]:
        """[first day, day after the last month): by default the next four quarters from this one."""
        start = self.value("start") or quarter_start(today)
        start = start.replace(day=1)
        end = self.value("end")
        if end is None:
            return start, add_months(start, 12)
        return start, add_months(end, 1)

    def show_defaults(self, today: date) -> None:
        """An unbound form shows the range, grain and breakdown the page is drawn with."""
        if not self.is_bound:
            start, end = self.dates(today)
            self.initial = {"start": start, "end": add_months(end, -1), "grain": QUARTER, "group_by": "owner"}

    def chosen_grain(self) -> str:
        grain = self.value("grain")
        return grain if grain in GRAINS else QUARTER

    def chosen_group_by(self) -> str:
        return self.value("group_by") or "owner"


THIS_QUARTER, THIS_YEAR, LAST_12_MONTHS, CUSTOM = "quarter", "year", "12m", "custom"


class SalesReportForm(ReportFilterForm):
    period = forms.ChoiceField(
        label=_("Period"), required=False,
        choices=[(LAST_12_MONTHS, _("Last 12 months")), (THIS_QUARTER, _("This quarter")), (THIS_YEAR, _("This year")),
                 (CUSTOM, _("Custom"))],
    )  # fmt: skip
    start = forms.DateField(label=_("From"), required=False, **DATE_INPUT)  # type: ignore[arg-type]
    end = forms.DateField(label=_("To"), required=False, **DATE_INPUT)  # type: ignore[arg-type]

    field_order = ["period", "start", "end", "owner", "team", "region", "product"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _within_years(self, data)
        if data.get("period") == CUSTOM:
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("A custom period needs a first day."))
            if not end:
                self.add_error("end", _("A custom period needs a last day."))
            if start and end and end < start:
                self.add_error("end", _("The last day comes before the first."))
            elif start and end and (end - start).days > MAX_REPORT_DAYS:
                self.add_error("end", _("Choose at most five years."))
        return data

    def dates(self, today: date) -> tuple[date, date]:
        """[first day, day after the last) of the chosen period; the last 12 months include this one."""
        period = self.value("period") or LAST_12_MONTHS
        if period == THIS_QUARTER:
            start = quarter_start(today)
            return start, add_months(start, 3)
        if period == THIS_YEAR:
            return date(today.year, 1, 1), date(today.year + 1, 1, 1)
        if period == CUSTOM:
            return self.value("start"), self.value("end") + timedelta(days=1)
        return add_months(today, -11), add_months(today, 1)
