"""Read-only API for how the maintenance centre is set up and how requests flow through it: queues
with their agents, routing rules, SLA policies, and the handoffs and escalations of the requests
you may see. Staff only: a customer (portal) user never sees the internal side."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from touchpoint.core.api import LIST_ERRORS, READ_ERRORS, QueryFilter, ScopedViewMixin, filter_parameters
from touchpoint.core.models import Channel
from touchpoint.delivery.api.shared import PatternChoiceField, id_field, path_id
from touchpoint.service.access import visible_requests
from touchpoint.service.api.shared import NameField, require_staff
from touchpoint.service.models import (
    Assignment,
    Escalation,
    EscalationReason,
    Handoff,
    HandoffKind,
    Queue,
    QueueKind,
    QueueMember,
    RoutingRule,
    Severity,
    SlaPolicy,
    Tier,
)


class StaffViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only rows for staff who work with requests."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        require_staff(request.user)

    def get_object(self) -> Any:
        path_id(self.kwargs["pk"])  # what cannot be an id is a 404 before it reaches the database
        return super().get_object()


# --- Queues ---------------------------------------------------------------------------------------


class QueueMemberSerializer(serializers.ModelSerializer):
    user_name = NameField(source="user")

    class Meta:
        model = QueueMember
        fields = ["id", "user", "user_name", "products", "is_active", "last_assigned_at"]
        read_only_fields = fields
        extra_kwargs = {"products": {"help_text": gettext_lazy("Products the agent takes; empty: any.")}}


class QueueSerializer(serializers.ModelSerializer):
    kind = PatternChoiceField(read_only=True, choices=QueueKind.choices)
    department_name = NameField(source="department")
    product_name = NameField(source="product")
    lead_name = NameField(source="lead")
    members = QueueMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Queue
        fields = ["id", "code", "name", "name_en", "kind", "department", "department_name", "product", "product_name",
                  "assignment", "lead", "lead_name", "is_active", "members"]  # fmt: skip
        read_only_fields = fields


QUEUE_FILTERS = {
    "kind": QueryFilter("kind", serializers.ChoiceField(choices=QueueKind.choices)),
    "department": QueryFilter("department_id", id_field(), gettext_lazy("Department id.")),
    "assignment": QueryFilter("assignment", serializers.ChoiceField(choices=Assignment.choices)),
    "is_active": QueryFilter("is_active", serializers.BooleanField()),
}


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List queues with their agents"),
        parameters=filter_parameters(QUEUE_FILTERS, ["code"]),
        responses={200: QueueSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a queue with its agents"), responses={200: QueueSerializer, **READ_ERRORS}),
)
class QueueViewSet(StaffViewSet):
    """The maintenance centre's queues (L1, L2 per product, engineering, sales, finance)."""

    serializer_class = QueueSerializer
    query_filters = QUEUE_FILTERS
    ordering_fields = ["code"]
    ordering = ["department__order", "kind", "code", "pk"]

    def get_queryset(self) -> QuerySet[Queue]:
        members = QueueMember.objects.select_related("user").prefetch_related("products").order_by("id")
        return Queue.objects.select_related("department", "product", "lead").prefetch_related(Prefetch("members", queryset=members))


# --- Routing rules and SLA policies ---------------------------------------------------------------


class RoutingRuleSerializer(serializers.ModelSerializer):
    category = serializers.CharField(read_only=True, help_text=gettext_lazy("A request category; empty: any."))
    customer_tier = serializers.CharField(read_only=True, help_text=gettext_lazy("A customer size tier; empty: any."))
    channel = serializers.ChoiceField(read_only=True, choices=Channel.choices, allow_blank=True,
                                      help_text=gettext_lazy("The channel it came in on; empty: any."))  # fmt: skip
    product_name = NameField(source="product")
    queue_name = NameField(source="queue")

    class Meta:
        model = RoutingRule
        fields = ["id", "order", "name", "category", "product", "product_name", "customer_tier", "channel", "queue", "queue_name",
                  "is_active"]  # fmt: skip
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List routing rules in the order they are tried"),
        parameters=filter_parameters({}, ["order"]),
        responses={200: RoutingRuleSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a routing rule"), responses={200: RoutingRuleSerializer, **READ_ERRORS}),
)
class RoutingRuleViewSet(StaffViewSet):
    """The first active rule whose filled-in conditions all match a new request picks its queue."""

    serializer_class = RoutingRuleSerializer
    ordering_fields = ["order"]
    ordering = ["order", "pk"]

    def get_queryset(self) -> QuerySet[RoutingRule]:
        return RoutingRule.objects.select_related("product", "queue")


class SlaPolicySerializer(serializers.ModelSerializer):
    severity = PatternChoiceField(read_only=True, choices=Severity.choices)
    calendar_name = NameField(source="calendar")

    class Meta:
        model = SlaPolicy
        fields = ["id", "tier", "severity", "response_minutes", "resolution_minutes", "calendar", "calendar_name"]
        read_only_fields = fields


SLA_FILTERS = {
    "tier": QueryFilter("tier", serializers.ChoiceField(choices=Tier.choices)),
    "severity": QueryFilter("severity", serializers.ChoiceField(choices=Severity.choices)),
}


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List SLA policies: targets in business minutes by tier and severity"),
        parameters=filter_parameters(SLA_FILTERS),
        responses={200: SlaPolicySerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get an SLA policy"), responses={200: SlaPolicySerializer, **READ_ERRORS}),
)
class SlaPolicyViewSet(StaffViewSet):
    """First-response and resolution targets by coverage tier and severity."""

    serializer_class = SlaPolicySerializer
    query_filters = SLA_FILTERS
    ordering = ["tier", "severity", "pk"]

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return SlaPolicy.objects.select_related("calendar")


# --- Handoffs and escalations ---------------------------------------------------------------------


class HandoffSerializer(serializers.ModelSerializer):
    request_number = serializers.CharField(source="request.number", read_only=True)
    kind = PatternChoiceField(read_only=True, choices=HandoffKind.choices)
    from_user_name = NameField(source="from_user")
    from_queue_name = NameField(source="from_queue")
    from_department_name = NameField(source="from_department")
    to_user_name = NameField(source="to_user")
    to_queue_name = NameField(source="to_queue")
    to_department_name = NameField(source="to_department")
    by_name = NameField(source="by")
    crosses_departments = serializers.BooleanField(read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "request", "request_number", "kind", "from_user", "from_user_name", "from_queue", "from_queue_name",
                  "from_department", "from_department_name", "to_user", "to_user_name", "to_queue", "to_queue_name",
                  "to_department", "to_department_name", "reason", "by", "by_name", "at", "seconds_in_from",
                  "crosses_departments"]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {"seconds_in_from": {"help_text": gettext_lazy("Seconds spent in the department it leaves.")}}


class EscalationSerializer(serializers.ModelSerializer):
    request_number = serializers.CharField(source="request.number", read_only=True)
    reason = PatternChoiceField(read_only=True, choices=EscalationReason.choices)
    to_user_name = NameField(source="to_user")
    by_name = NameField(source="by")

    class Meta:
        model = Escalation
        fields = ["id", "request", "request_number", "level", "reason", "to_user", "to_user_name", "note", "by", "by_name", "at"]
        read_only_fields = fields
        extra_kwargs = {"level": {"help_text": gettext_lazy("1: the owner's lead; 2: the department head; 3: an executive.")}}


def _department(rows: QuerySet, department_id: int) -> QuerySet:
    return rows.filter(Q(from_department_id=department_id) | Q(to_department_id=department_id))


PERIOD = {
    "since": QueryFilter("at__date__gte", serializers.DateField(), gettext_lazy("From this day on (inclusive).")),
    "until": QueryFilter("at__date__lte", serializers.DateField(), gettext_lazy("Up to this day (inclusive).")),
}
HANDOFF_FILTERS = {
    "request": QueryFilter("request_id", id_field(), gettext_lazy("Service request id.")),
    "department": QueryFilter(_department, id_field(), gettext_lazy("Department id: moves from or to it.")),
    "kind": QueryFilter("kind", serializers.ChoiceField(choices=HandoffKind.choices)),
    **PERIOD,
}


def _requests_of(user: Any) -> QuerySet:
    return visible_requests(user).values("pk")


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List handoffs of the requests you may see"),
        parameters=filter_parameters(HANDOFF_FILTERS, ["at"]),
        responses={200: HandoffSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a handoff"), responses={200: HandoffSerializer, **READ_ERRORS}),
)
class HandoffViewSet(StaffViewSet):
    """Every move of a request between people, queues and departments, with its reason."""

    serializer_class = HandoffSerializer
    query_filters = HANDOFF_FILTERS
    ordering_fields = ["at"]
    ordering = ["-at", "-pk"]

    def get_queryset(self) -> QuerySet[Handoff]:
        return Handoff.objects.filter(request__in=_requests_of(self.request.user)).select_related(
            "request", "from_user", "from_queue", "from_department", "to_user", "to_queue", "to_department", "by"
        )


ESCALATION_FILTERS = {
    "request": QueryFilter("request_id", id_field(), gettext_lazy("Service request id.")),
    "level": QueryFilter("level", serializers.IntegerField(min_value=1, max_value=3)),
    "reason": QueryFilter("reason", serializers.ChoiceField(choices=EscalationReason.choices)),
    **PERIOD,
}


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List escalations of the requests you may see"),
        parameters=filter_parameters(ESCALATION_FILTERS, ["at", "level"]),
        responses={200: EscalationSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get an escalation"), responses={200: EscalationSerializer, **READ_ERRORS}),
)
class EscalationViewSet(StaffViewSet):
    """The escalation ladder's steps: the owner's lead, the department head, an executive."""

    serializer_class = EscalationSerializer
    query_filters = ESCALATION_FILTERS
    ordering_fields = ["at", "level"]
    ordering = ["-at", "-pk"]

    def get_queryset(self) -> QuerySet[Escalation]:
        return Escalation.objects.filter(request__in=_requests_of(self.request.user)).select_related("request", "to_user", "by")


ROUTES: list[tuple[str, Any, str]] = [
    ("service-queues", QueueViewSet, "api-service-queue"),
    ("routing-rules", RoutingRuleViewSet, "api-routing-rule"),
    ("sla-policies", SlaPolicyViewSet, "api-sla-policy"),
    ("handoffs", HandoffViewSet, "api-handoff"),
    ("escalations", EscalationViewSet, "api-escalation"),
]
