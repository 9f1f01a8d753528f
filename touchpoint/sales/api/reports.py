"""API for the forecast and the sales reports: the pages' numbers as JSON, through the same access layer.

`GET /api/v1/sales-forecast/` and `GET /api/v1/sales-reports/` take the pages' filters as query
parameters; a bad one is a 400 naming the parameter. Amounts are decimal strings, as elsewhere.
"""

from typing import Any

from django.forms import Form
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from touchpoint.core.api import ScopedViewMixin, errors
from touchpoint.customers.models import PROVINCES
from touchpoint.org.access import visible_users
from touchpoint.org.policy import may
from touchpoint.sales import access
from touchpoint.sales.forms.reports import CUSTOM, LAST_12_MONTHS, THIS_QUARTER, THIS_YEAR, ForecastForm, SalesReportForm
from touchpoint.sales.reports import GRAINS, GROUPINGS
from touchpoint.sales.views.reports import build_forecast, build_report


def money_field(**options: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, **options)


# --- Serializers (output only) --------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("2026-07 for a month, 2026-Q3 for a quarter."))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("The first day after the period."))


class FiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Open opportunities expected to close in the period."))
    amount = money_field()
    weighted = money_field(help_text=_("Sum of amount × probability."))
    won_count = serializers.IntegerField(help_text=_("Opportunities won in the period."))
    won_amount = money_field()


class ForecastRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The owner, team or product id, or the region; empty for none."))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    cells = FiguresSerializer(many=True, help_text=_("One per period, in the order of `periods`."))
    total = FiguresSerializer()


class ForecastSerializer(serializers.Serializer):
    grain = serializers.ChoiceField(choices=GRAINS)
    group_by = serializers.ChoiceField(choices=GROUPINGS)
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("The first day after the last period."))
    periods = PeriodSerializer(many=True)
    rows = ForecastRowSerializer(many=True)
    totals = ForecastRowSerializer()


class PipelineRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    count = serializers.IntegerField()
    amount = money_field()
    weighted = money_field()


class PipelineSerializer(serializers.Serializer):
    stage = PipelineRowSerializer(many=True)
    owner = PipelineRowSerializer(many=True)
    region = PipelineRowSerializer(many=True)
    product = PipelineRowSerializer(many=True)


class WinRateSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The owner's id; empty on the total."))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True,
                                        help_text=_("Won / (won + lost), in %; null when nothing closed."))  # fmt: skip
    won_amount = money_field()
    cycle_days = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True,
                                          help_text=_("Average days from creation to winning; null when nothing was won."))  # fmt: skip


class BookingSerializer(serializers.Serializer):
    month = serializers.CharField(source="period.key")
    label = serializers.CharField(source="period.label")  # type: ignore[assignment]
    count = serializers.IntegerField()
    amount = money_field()
    active_amount = money_field()
    completed_amount = money_field()


class ForecastActualSerializer(serializers.Serializer):
    month = serializers.CharField(source="period.key")
    label = serializers.CharField(source="period.label")  # type: ignore[assignment]
    expected = money_field(allow_null=True,
                                        help_text=_("Up to this month: amount expected to close in it, any outcome."))  # fmt: skip
    won = money_field()
    forecast = money_field(allow_null=True,
                                        help_text=_("From this month on: weighted amount still open."))  # fmt: skip


class LostReasonSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    count = serializers.IntegerField()
    amount = money_field()


class SalesReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("The first day after the period."))
    pipeline = PipelineSerializer(help_text=_("Open opportunities today, whatever the period."))
    pipeline_total = PipelineRowSerializer()
    win_rates = WinRateSerializer(many=True)
    win_total = WinRateSerializer()
    bookings = BookingSerializer(many=True)
    bookings_total = BookingSerializer()
    forecast_actual = ForecastActualSerializer(many=True)
    lost_reasons = LostReasonSerializer(many=True)
    lost_total = LostReasonSerializer()


# --- Query parameters -------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter("owner", OpenApiTypes.INT, description=_("Only this owner's opportunities.")),
    OpenApiParameter("team", OpenApiTypes.INT, description=_("Only opportunities owned by this team's members.")),
    OpenApiParameter("region", OpenApiTypes.STR, enum=PROVINCES, description=_("The customer's province.")),
    OpenApiParameter("product", OpenApiTypes.INT, description=_("The opportunity's main product.")),
]
MONTH_PATTERN = r"^\d{4}-\d{2}$"


def _valid_form(form: Form, request: Request) -> Any:
    if not may(request.user, "opportunity", "view"):
        raise exceptions.PermissionDenied
    # A parameter sent empty is a malformed value, not "left out" as the pages treat it.
    blank = [name for name in form.fields if name in request.query_params and not request.query_params[name].strip()]
    if blank:
        raise exceptions.ValidationError({name: [_("This parameter may not be empty.")] for name in blank})
    if form.is_bound and not form.is_valid():
        raise exceptions.ValidationError({field: [str(m) for m in messages] for field, messages in form.errors.items()})
    return form


def _form_options(request: Request) -> dict[str, Any]:
    return {"owners": visible_users(request.user), "products": access.visible_products(request.user)}


class SalesForecastView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="sales_forecast",
        summary=str(_("Forecast weighted by probability")),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, pattern=MONTH_PATTERN,
                             description=_("First month, YYYY-MM; this quarter's first month by default.")),
            OpenApiParameter("end", OpenApiTypes.STR, pattern=MONTH_PATTERN,
                             description=_("Last month, YYYY-MM; by default four quarters in all.")),
            OpenApiParameter("grain", OpenApiTypes.STR, enum=list(GRAINS)),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPINGS)),
            *FILTER_PARAMETERS,
        ],  # fmt: skip
        responses={200: ForecastSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        form = _valid_form(ForecastForm(request.query_params or None, **_form_options(request)), request)
        result = build_forecast(form, access.visible_opportunities(request.user))
        return Response(ForecastSerializer(result).data)


class SalesReportsView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="sales_reports",
        summary=str(_("Sales reports")),
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, enum=[LAST_12_MONTHS, THIS_QUARTER, THIS_YEAR, CUSTOM]),
            OpenApiParameter("start", OpenApiTypes.DATE, description=_("First day of a custom period.")),
            OpenApiParameter("end", OpenApiTypes.DATE, description=_("Last day of a custom period.")),
            *FILTER_PARAMETERS,
        ],
        responses={200: SalesReportSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        form = _valid_form(SalesReportForm(request.query_params or None, **_form_options(request)), request)
        report = build_report(form, access.visible_opportunities(request.user), access.visible_contracts(request.user))
        return Response(SalesReportSerializer(report).data)
