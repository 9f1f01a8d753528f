"""The insights API: the flow monitor's board, the handoff flow and the time in each department, and
the service report series. Read-only; the same access and figures as the pages."""

from typing import Any

from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from touchpoint.core.api import ScopedViewMixin, errors
from touchpoint.insights import reports, selectors
from touchpoint.insights.access import may_view_insights
from touchpoint.insights.forms import period_from
from touchpoint.insights.selectors import BOARD_STATES, Period

PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description=_("First day of the period (YYYY-MM-DD).")),
    OpenApiParameter("to", OpenApiTypes.DATE, description=_("Last day of the period (YYYY-MM-DD); today by default.")),
]
ERRORS = errors(400, 401, 403)


def _allowed(request: Request) -> None:
    if not may_view_insights(request.user):
        raise exceptions.PermissionDenied(_("Your position does not allow the flow monitor and the service reports."))


def _period(request: Request, default_days: int) -> Period:
    # A page's form may leave a day blank; in the API a parameter that is sent must be a date.
    blank = [name for name in ("from", "to") if name in request.query_params and not request.query_params[name].strip()]
    if blank:
        raise exceptions.ValidationError({name: [_("Enter a date as YYYY-MM-DD.")] for name in blank})
    form, period = period_from(request.query_params, timezone.localdate(), default_days)
    if period is None:
        raise exceptions.ValidationError({form.add_prefix(name): [str(m) for m in messages] for name, messages in form.errors.items()})
    return period


class InsightsPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


# --- The board -----------------------------------------------------------------------------------


class StateCountsSerializer(serializers.Serializer):
    breached = serializers.IntegerField()
    warning = serializers.IntegerField()
    ok = serializers.IntegerField()
    paused = serializers.IntegerField()
    none = serializers.IntegerField()


class BoardLineSerializer(serializers.Serializer):
    queue = serializers.IntegerField(source="queue_id", allow_null=True, help_text=_("Queue id; null for requests in no queue."))
    name = serializers.CharField()
    states = serializers.SerializerMethodField()
    total = serializers.IntegerField()
    bounced = serializers.IntegerField()
    stuck = serializers.IntegerField()
    oldest = serializers.DateTimeField(allow_null=True, help_text=_("When the oldest open request here was logged."))

    @extend_schema_field(StateCountsSerializer)
    def get_states(self, line: selectors.BoardLine) -> dict[str, int]:
        return {str(state): line.states.get(state, 0) for state in BOARD_STATES}


class BoardDepartmentSerializer(serializers.Serializer):
    department = serializers.CharField(source="name")
    states = serializers.SerializerMethodField()
    total = serializers.IntegerField()
    bounced = serializers.IntegerField()
    stuck = serializers.IntegerField()
    oldest = serializers.DateTimeField(allow_null=True)
    lines = BoardLineSerializer(many=True, help_text=_("The department's queues."))

    @extend_schema_field(StateCountsSerializer)
    def get_states(self, dept: selectors.BoardDepartment) -> dict[str, int]:
        return {str(state): dept.states.get(state, 0) for state in BOARD_STATES}


class AttentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    customer = serializers.CharField(source="customer.name", default=None, allow_null=True)
    subject = serializers.CharField()
    hops = serializers.IntegerField()
    department = serializers.CharField(source="department.name", default=None, allow_null=True)
    queue = serializers.CharField(source="queue.code", default=None, allow_null=True)
    created_at = serializers.DateTimeField()
    sla_state = serializers.CharField()
    owner = serializers.CharField(default=None, allow_null=True)
    bounced = serializers.BooleanField()
    stuck = serializers.BooleanField()
    escalation_level = serializers.IntegerField()


class FlowBoardSerializer(serializers.Serializer):
    departments = BoardDepartmentSerializer(many=True)
    total = BoardLineSerializer()
    attention = AttentionSerializer(many=True, help_text=_("Bounced and stuck open requests, oldest first (at most 50)."))
    now = serializers.DateTimeField()


class FlowBoardView(ScopedViewMixin, APIView):
    @extend_schema(operation_id="insights_flow_board", summary=str(_("Where the open requests are")),
                   responses={200: FlowBoardSerializer, **ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        _allowed(request)
        return Response(FlowBoardSerializer(selectors.flow_board(user=request.user)).data)


# --- The flow and the time in each department ------------------------------------------------------------


class FlowSerializer(serializers.Serializer):
    source_id = serializers.IntegerField(help_text=_("Department the requests left."))
    target_id = serializers.IntegerField(help_text=_("Department they went to."))
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.source
    target = serializers.CharField()
    count = serializers.IntegerField()
    seconds = serializers.IntegerField(help_text=_("Wall-clock seconds spent in the source department, summed."))


class FlowChartSerializer(serializers.Serializer):
    period = InsightsPeriodSerializer()
    total = serializers.IntegerField()
    returns = serializers.IntegerField(help_text=_("Handoffs between two departments that also sent requests the other way."))
    flows = FlowSerializer(many=True)


class SankeyView(ScopedViewMixin, APIView):
    @extend_schema(operation_id="insights_flow_sankey", summary=str(_("Handoffs between departments over a period")),
                   parameters=PERIOD_PARAMETERS, responses={200: FlowChartSerializer, **ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        _allowed(request)
        period = _period(request, 30)
        chart = selectors.handoff_flow(user=request.user, period=period)
        return Response(FlowChartSerializer({"period": period, "total": chart.total, "returns": chart.returns,
                                             "flows": chart.flows}).data)  # fmt: skip


class DepartmentTimeSerializer(serializers.Serializer):
    department_id = serializers.IntegerField()
    name = serializers.CharField()
    stays = serializers.IntegerField(help_text=_("Stays in the department that ended in the period."))
    median_seconds = serializers.FloatField(allow_null=True, help_text=_("Within 10% of the exact median."))
    mean_seconds = serializers.FloatField(allow_null=True)


class DepartmentTimesSerializer(serializers.Serializer):
    period = InsightsPeriodSerializer()
    departments = DepartmentTimeSerializer(many=True)


class DepartmentTimesView(ScopedViewMixin, APIView):
    @extend_schema(operation_id="insights_department_times", summary=str(_("Time in each department over a period")),
                   parameters=PERIOD_PARAMETERS, responses={200: DepartmentTimesSerializer, **ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        _allowed(request)
        period = _period(request, 30)
        times = selectors.department_times(user=request.user, period=period)
        return Response(DepartmentTimesSerializer({"period": period, "departments": times}).data)


# --- The service report series -------------------------------------------------------------------------


class ServiceTotalsSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text=_("Requests logged."))
    responded = serializers.IntegerField(help_text=_("First responses given."))
    response_breached = serializers.IntegerField()
    resolved = serializers.IntegerField()
    sla_met = serializers.IntegerField()
    sla_breached = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True, help_text=_("SLA met, in percent of resolved requests with an SLA."))
    bounced = serializers.IntegerField()
    bounce_rate = serializers.FloatField(allow_null=True, help_text=_("Bounced, in percent of resolved requests."))
    mean_hops = serializers.FloatField(allow_null=True)


TOTAL_FIELDS = ("opened", "responded", "response_breached", "resolved", "sla_met", "sla_breached", "compliance", "bounced",
                "bounce_rate", "mean_hops")  # fmt: skip


class KeyedTotalsSerializer(ServiceTotalsSerializer):
    key = serializers.CharField(help_text=_("Channel, category, severity or product name."))


class MonthTotalsSerializer(ServiceTotalsSerializer):
    month = serializers.DateField()


class TimingSerializer(serializers.Serializer):
    severity = serializers.CharField(help_text=_("P1–P4; empty for all severities."))
    responses = serializers.IntegerField()
    response_median = serializers.FloatField(allow_null=True, help_text=_("Seconds."))
    response_mean = serializers.FloatField(allow_null=True, help_text=_("Seconds."))
    resolutions = serializers.IntegerField()
    resolution_median = serializers.FloatField(allow_null=True, help_text=_("Seconds."))
    resolution_mean = serializers.FloatField(allow_null=True, help_text=_("Seconds."))


class BacklogAgeSerializer(serializers.Serializer):
    from_days = serializers.IntegerField()
    to_days = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()


class BacklogSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    stuck = serializers.IntegerField()
    bounced = serializers.IntegerField()
    ages = BacklogAgeSerializer(many=True)


class KeyCountSerializer(serializers.Serializer):
    key = serializers.CharField()
    count = serializers.IntegerField()


class EscalationsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_reason = KeyCountSerializer(many=True)
    by_level = KeyCountSerializer(many=True)
    by_department = KeyCountSerializer(many=True)


class AgentLoadSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    open = serializers.IntegerField(help_text=_("Open requests assigned now."))
    resolved = serializers.IntegerField(help_text=_("Resolved in the period."))


class ServiceReportSerializer(serializers.Serializer):
    period = InsightsPeriodSerializer()
    totals = ServiceTotalsSerializer()
    months = MonthTotalsSerializer(many=True)
    by_channel = KeyedTotalsSerializer(many=True)
    by_category = KeyedTotalsSerializer(many=True)
    by_severity = KeyedTotalsSerializer(many=True)
    by_product = KeyedTotalsSerializer(many=True)
    timings = TimingSerializer(many=True)
    backlog = BacklogSerializer()
    department_times = DepartmentTimeSerializer(many=True)
    escalations = EscalationsSerializer()
    workload = AgentLoadSerializer(many=True)


def _totals(totals: reports.Totals, **extra: Any) -> dict[str, Any]:
    data = {name: getattr(totals, name) for name in TOTAL_FIELDS}
    return data | extra


class ServiceReportView(ScopedViewMixin, APIView):
    @extend_schema(operation_id="insights_service_report", summary=str(_("Service report series over a period")),
                   parameters=PERIOD_PARAMETERS, responses={200: ServiceReportSerializer, **ERRORS})  # fmt: skip
    def get(self, request: Request) -> Response:
        _allowed(request)
        period = _period(request, 365)
        user = request.user
        volume = reports.volume(user=user, period=period)
        backlog = reports.backlog(user=user)
        escalations = reports.escalations(user=user, period=period)
        data = {
            "period": period, "totals": _totals(volume.totals),
            "months": [_totals(t, month=month) for month, t in volume.months],
            "by_channel": [_totals(t, key=key) for key, t in volume.by_channel.items()],
            "by_category": [_totals(t, key=key) for key, t in volume.by_category.items()],
            "by_severity": [_totals(t, key=key) for key, t in volume.by_severity.items()],
            "by_product": [_totals(t, key=name) for name, t in volume.by_product],
            "timings": reports.timings(user=user, period=period),
            "backlog": {"open": backlog.open, "stuck": backlog.stuck, "bounced": backlog.bounced,
                        "ages": [{"from_days": low, "to_days": high, "count": n} for (low, high), n in backlog.ages]},
            "department_times": selectors.department_times(user=user, period=period),
            "escalations": {"total": escalations.total,
                            "by_reason": [{"key": k, "count": n} for k, n in escalations.by_reason.items()],
                            "by_level": [{"key": str(k), "count": n} for k, n in sorted(escalations.by_level.items())],
                            "by_department": [{"key": k, "count": n} for k, n in escalations.by_department]},
            "workload": reports.workload(user=user, period=period),
        }  # fmt: skip
        return Response(ServiceReportSerializer(data).data)


PATHS: list[URLPattern] = [
    path("insights/flow/board/", FlowBoardView.as_view(), name="insights-flow-board"),
    path("insights/flow/sankey/", SankeyView.as_view(), name="insights-flow-sankey"),
    path("insights/flow/department-times/", DepartmentTimesView.as_view(), name="insights-department-times"),
    path("insights/service/", ServiceReportView.as_view(), name="insights-service-report"),
]
