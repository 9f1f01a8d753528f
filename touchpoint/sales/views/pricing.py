"""The price history page: won and lost discounts of a bundle of modules by quarter, and the band.

The bundle comes from ?modules=1,2,3, or from a quote (?quote=) or an opportunity's recommended
bundle (?opportunity=); a quote or an opportunity also gives the customer that "similar" means.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from touchpoint.core.forms import StyledForm
from touchpoint.customers.models import Customer, CustomerType, SizeTier
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales import access
from touchpoint.sales.models import LineKind, Opportunity, Quote
from touchpoint.sales.services.pricing import PriceHistory, QuarterPoint, price_guidance, price_history
from touchpoint.sales.services.recommendation import recommend

MAX_MODULES = 20
WON_COLOUR, LOST_COLOUR, BAND_COLOUR = "#198754", "#dc3545", "rgba(25, 135, 84, 0.10)"


class PriceFilterForm(StyledForm):
    modules = forms.CharField(label=gettext_lazy("Modules"), required=False, max_length=400)
    similar = forms.BooleanField(label=gettext_lazy("Similar customers only (same type and size)"), required=False)
    customer_type = forms.ChoiceField(label=gettext_lazy("Customer type"), required=False,
                                      choices=[("", gettext_lazy("Any type")), *CustomerType.choices])  # fmt: skip
    size_tier = forms.ChoiceField(label=gettext_lazy("Size tier"), required=False,
                                  choices=[("", gettext_lazy("Any size")), *SizeTier.choices])  # fmt: skip
    opportunity = forms.IntegerField(required=False, min_value=1, max_value=2_147_483_647, widget=forms.HiddenInput)
    quote = forms.IntegerField(required=False, min_value=1, max_value=2_147_483_647, widget=forms.HiddenInput)

    def clean_modules(self) -> list[int]:
        raw = [part.strip() for part in (self.cleaned_data.get("modules") or "").split(",") if part.strip()]
        if any(not part.isdecimal() or len(part) > 10 for part in raw):
            raise forms.ValidationError(_("List modules by their ids, separated by commas."))
        ids = list(dict.fromkeys(int(part) for part in raw))
        if len(ids) > MAX_MODULES:
            raise forms.ValidationError(_("Choose at most %(count)s modules.") % {"count": MAX_MODULES})
        return ids


def _form_data(params: QueryDict) -> QueryDict | None:
    """Accept ?modules=1,2,3 as well as ?modules=1&modules=2 (a multiple select)."""
    if not params:
        return None
    data = params.copy()
    data.setlist("modules", [",".join(params.getlist("modules"))])
    return data


@dataclass
class Reference:
    customer: Customer | None
    opportunity: Opportunity | None
    quote: Quote | None
    module_ids: list[int]


def _reference(request: AuthedRequest, data: dict[str, Any]) -> Reference:
    """The quote or opportunity the page is about (404 unless visible), and the modules it brings."""
    if data.get("quote"):
        quote = get_object_or_404(access.visible_quotes(request.user).select_related("customer", "opportunity"),
                                  pk=data["quote"])  # fmt: skip
        ids = list(
            quote.lines.filter(kind=LineKind.LICENCE, module__isnull=False).order_by("order").values_list("module_id", flat=True)
        )
        return Reference(customer=quote.customer, opportunity=quote.opportunity, quote=quote, module_ids=list(dict.fromkeys(ids)))
    if data.get("opportunity"):
        opportunity = get_object_or_404(access.visible_opportunities(request.user).select_related("customer"),
                                        pk=data["opportunity"])  # fmt: skip
        ids = [] if data["modules"] else [m.pk for m in recommend(opportunity=opportunity, user=request.user).bundle_modules]
        return Reference(customer=opportunity.customer, opportunity=opportunity, quote=None, module_ids=ids)
    return Reference(customer=None, opportunity=None, quote=None, module_ids=[])


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def trend_chart(quarters: list[QuarterPoint], *, band: tuple[Decimal, Decimal] | None = None) -> dict[str, Any]:
    """ECharts options: the won and lost median discount per quarter, with the band shaded."""
    won = {
        "name": _("Won: median discount"), "type": "line", "connectNulls": True, "symbolSize": 7,
        "itemStyle": {"color": WON_COLOUR}, "data": [_number(q.won_median) for q in quarters],
    }  # fmt: skip
    if band:
        won["markArea"] = {
            "silent": True, "itemStyle": {"color": BAND_COLOUR},
            "data": [[{"name": _("Suggested band"), "yAxis": float(band[0])}, {"yAxis": float(band[1])}]],
            "label": {"position": "insideTopLeft", "color": WON_COLOUR},
        }  # fmt: skip
    lost = {
        "name": _("Lost: median discount"), "type": "line", "connectNulls": True, "symbolSize": 7, "lineStyle": {"type": "dashed"},
        "itemStyle": {"color": LOST_COLOUR}, "data": [_number(q.lost_median) for q in quarters],
    }  # fmt: skip
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [q.quarter for q in quarters]},
        "yAxis": {"type": "value", "min": 0, "axisLabel": {"formatter": "{value}%"}},
        "series": [won, lost],
    }


def _charts(history: PriceHistory) -> dict[str, Any]:
    band = history.band
    shaded = (band.low, band.high) if band.enough and band.low is not None and band.high is not None else None
    return {
        "bundle": trend_chart(history.quarters, band=shaded),
        "modules": [
            {"entry": entry, "chart": trend_chart(entry.quarters), "chart_id": f"price-trend-{entry.module.pk}"}
            for entry in history.per_module
        ],
    }


@login_required
@require_GET
def price_history_page(request: AuthedRequest) -> HttpResponse:
    # Aggregates over every deal, without names: open to anyone who may read quotes at all.
    if not may(request.user, "quote", "view"):
        raise PermissionDenied
    form = PriceFilterForm(_form_data(request.GET))
    catalogue = list(access.visible_modules(request.user).select_related("product").order_by("product__code", "code"))
    context: dict[str, Any] = {"form": form, "catalogue": catalogue, "history": None}
    if form.is_bound and not form.is_valid():
        return render(request, "sales/pricing/page.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {"modules": []}
    reference = _reference(request, data)
    wanted = data["modules"] or reference.module_ids
    by_id = {m.pk: m for m in catalogue}
    unknown = [pk for pk in wanted if pk not in by_id]
    if unknown:
        form.add_error("modules", _("There is no module with id %(id)s.") % {"id": unknown[0]})
        return render(request, "sales/pricing/page.html", context, status=400)
    customer_type, size_tier = data.get("customer_type") or "", data.get("size_tier") or ""
    if data.get("similar") and reference.customer is not None:
        customer_type, size_tier = reference.customer.customer_type, reference.customer.size_tier
    chosen = [by_id[pk] for pk in wanted]
    history = price_history(modules=chosen, customer_type=customer_type, size_tier=size_tier,
                            exclude_number=reference.quote.number if reference.quote else "") if chosen else None  # fmt: skip
    context.update({
        "reference": reference, "chosen": chosen, "chosen_ids": {m.pk for m in chosen}, "history": history,
        "charts": _charts(history) if history and history.has_history else None,
        "guidance": price_guidance(reference.quote, customer_type=customer_type, size_tier=size_tier) if reference.quote else None,
        "customer_type_label": dict(CustomerType.choices).get(customer_type, ""),
        "size_tier_label": dict(SizeTier.choices).get(size_tier, ""),
    })  # fmt: skip
    return render(request, "sales/pricing/page.html", context)
