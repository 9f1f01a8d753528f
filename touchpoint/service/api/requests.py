"""API for service requests (工单): list and log them, read one with its conversation and history,
and work it (reply, note, transfer, assign, change the case owner or the status). A customer's
portal user reads their own customer's requests without the internal side, logs new ones and
answers them."""

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.status import HTTP_200_OK, HTTP_201_CREATED

from touchpoint.core.api import (
    EDIT_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryFilter,
    ScopedRelatedField,
    ScopedViewMixin,
    VersionedUpdateSerializer,
    filter_parameters,
)
from touchpoint.core.models import Channel
from touchpoint.customers.models import Contact, Customer
from touchpoint.delivery.api.shared import PatternChoiceField, id_field, path_id
from touchpoint.org.access import visible_users
from touchpoint.org.models import User
from touchpoint.sales.models import InstalledItem
from touchpoint.service.access import can_assign_request, can_log_request_for, can_work_request, may_log_requests
from touchpoint.service.api import queues
from touchpoint.service.api.queues import EscalationSerializer, HandoffSerializer
from touchpoint.service.api.shared import (
    NameField,
    ReaderSerializer,
    TextField,
    is_portal,
    loggable_contacts,
    loggable_customers,
    loggable_items,
    portal_ids,
    readable_messages,
    readable_requests,
    refuse_portal,
    require_version,
)
from touchpoint.service.models import (
    OPEN,
    Category,
    Entitlement,
    Escalation,
    Handoff,
    Impact,
    MessageKind,
    Queue,
    RequestMessage,
    ServiceRequest,
    Severity,
    SlaState,
    Status,
    StatusChange,
)
from touchpoint.service.services import requests as request_services

STAFF_NULL = gettext_lazy("Null for customer (portal) users.")

# --- Reading ------------------------------------------------------------------------------------


def _staff_int(**options: Any) -> serializers.IntegerField:
    return serializers.IntegerField(read_only=True, allow_null=True, help_text=STAFF_NULL, **options)


def _staff_flag(text: Any) -> serializers.BooleanField:
    return serializers.BooleanField(read_only=True, allow_null=True, help_text=format_lazy("{} {}", text, STAFF_NULL))


def _staff_ref(text: Any = "") -> serializers.PrimaryKeyRelatedField[Any]:
    help_text = format_lazy("{} {}", text, STAFF_NULL) if text else STAFF_NULL
    return serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text=help_text)


class RequestMessageSerializer(ReaderSerializer):
    """One message of the conversation: from the customer, a reply to them, or an internal note."""

    STAFF_ONLY = ("author",)
    kind = PatternChoiceField(read_only=True, choices=MessageKind.choices)
    author = _staff_ref()
    author_name = NameField(source="author")
    contact_name = NameField(source="contact.name")

    class Meta:
        model = RequestMessage
        fields = ["id", "kind", "author", "author_name", "contact", "contact_name", "sender", "body", "created_at"]
        read_only_fields = fields


class StatusChangeSerializer(ReaderSerializer):
    """One step of the workflow, with who took it and why."""

    STAFF_ONLY = ("note", "by")
    before = serializers.CharField(read_only=True, help_text=gettext_lazy("The status it left; empty on the first row."))
    after = PatternChoiceField(read_only=True, choices=Status.choices)
    note = serializers.CharField(read_only=True, allow_null=True, help_text=STAFF_NULL)
    by = _staff_ref()
    by_name = NameField(source="by")

    class Meta:
        model = StatusChange
        fields = ["id", "before", "after", "note", "by", "by_name", "at"]
        read_only_fields = fields


class ServiceRequestSerializer(ReaderSerializer):
    """One shape for lists and the detail, so that each choice set is documented once. The
    conversation and the history come with the detail only (null in lists); a portal reader gets
    null for the internal side: queues, departments, people's ids, flow flags, handoffs and
    escalations."""

    STAFF_ONLY = ("owner", "assignee", "queue", "queue_name", "department", "department_name", "needs_triage", "coverage",
                  "hops", "bounced", "stuck", "escalation_level", "last_action_at", "handoffs", "escalations")  # fmt: skip
    customer_name = NameField(source="customer.name")
    contact_name = NameField(source="contact.name")
    product_name = NameField(source="product")
    product_version_number = NameField(source="product_version.number")
    severity = PatternChoiceField(read_only=True, choices=Severity.choices)
    owner = _staff_ref(gettext_lazy("The case owner, accountable while the work moves."))
    owner_name = NameField(source="owner")
    assignee = _staff_ref()
    assignee_name = NameField(source="assignee")
    queue = _staff_ref()
    queue_name = NameField(source="queue", help_text=STAFF_NULL)
    department = _staff_ref()
    department_name = NameField(source="department", help_text=STAFF_NULL)
    needs_triage = _staff_flag(gettext_lazy("Logged from an unknown sender: match it to a customer."))
    coverage = _staff_ref(gettext_lazy("The maintenance contract or warranty that covers it."))
    hops = _staff_int()
    bounced = _staff_flag(gettext_lazy("Went back to the department it came from, or hopped too often."))
    stuck = _staff_flag(gettext_lazy("No action for longer than its SLA allows."))
    escalation_level = _staff_int()
    last_action_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text=STAFF_NULL)
    response_minutes = serializers.IntegerField(source="sla_policy.response_minutes", read_only=True, allow_null=True,
                                                help_text=gettext_lazy("The first-response target in business minutes."))  # fmt: skip
    resolution_minutes = serializers.IntegerField(source="sla_policy.resolution_minutes", read_only=True, allow_null=True,
                                                  help_text=gettext_lazy("The resolution target in business minutes."))  # fmt: skip
    messages = serializers.SerializerMethodField()
    status_changes = serializers.SerializerMethodField()
    handoffs = serializers.SerializerMethodField()
    escalations = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = ["id", "number", "subject", "description", "customer", "customer_name", "contact", "contact_name",
                  "requester_email", "installed_item", "product", "product_name", "product_version", "product_version_number",
                  "category", "severity", "impact", "channel", "status", "needs_triage", "entitlement", "coverage", "owner",
                  "owner_name", "assignee", "assignee_name", "queue", "queue_name", "department", "department_name",
                  "sla_state", "response_minutes", "resolution_minutes", "response_due_at", "responded_at",
                  "resolution_due_at", "paused_at", "spent_seconds", "response_breached", "resolution_breached", "hops",
                  "bounced", "stuck", "last_action_at", "escalation_level", "reopened", "resolution", "resolved_at",
                  "closed_at", "version", "created_at", "updated_at", "messages", "status_changes", "handoffs",
                  "escalations"]  # fmt: skip
        read_only_fields = fields

    def _rows(self, request: ServiceRequest, name: str, serializer: type[serializers.Serializer]) -> list[Any] | None:
        rows = getattr(request, name, None)
        if rows is None:  # a list row: the detail only
            return None
        return list(serializer(rows, many=True, context=self.context).data)

    @extend_schema_field(RequestMessageSerializer(many=True, allow_null=True, help_text=gettext_lazy(
        "The conversation, oldest first; internal notes only for staff. Null in lists.")))  # fmt: skip
    def get_messages(self, request: ServiceRequest) -> list[Any] | None:
        return self._rows(request, "conversation", RequestMessageSerializer)

    @extend_schema_field(StatusChangeSerializer(many=True, allow_null=True, help_text=gettext_lazy("Null in lists.")))
    def get_status_changes(self, request: ServiceRequest) -> list[Any] | None:
        return self._rows(request, "status_rows", StatusChangeSerializer)

    @extend_schema_field(HandoffSerializer(many=True, allow_null=True, help_text=gettext_lazy(
        "Every move between people, queues and departments. Null in lists and for customer (portal) users.")))  # fmt: skip
    def get_handoffs(self, request: ServiceRequest) -> list[Any] | None:
        return self._rows(request, "handoff_rows", HandoffSerializer)

    @extend_schema_field(EscalationSerializer(many=True, allow_null=True, help_text=gettext_lazy(
        "Null in lists and for customer (portal) users.")))  # fmt: skip
    def get_escalations(self, request: ServiceRequest) -> list[Any] | None:
        return self._rows(request, "escalation_rows", EscalationSerializer)


# Joined: the customer and the people; read by id afterwards: the rest (joining all nine costs more
# planning than running, see `touchpoint.service.selectors.ROW_FIELDS`).
ROW_FIELDS = ("customer", "owner", "assignee")
ROW_PREFETCH = ("contact", "product", "product_version", "queue", "department", "sla_policy")


def with_history(requests: QuerySet[ServiceRequest], user: Any) -> QuerySet[ServiceRequest]:
    """The detail's rows, one query each; a portal reader's without the internal ones."""
    rows: list[Any] = [
        Prefetch("messages", queryset=readable_messages(user), to_attr="conversation"),
        Prefetch("status_changes", queryset=StatusChange.objects.select_related("by").order_by("at", "id"), to_attr="status_rows"),
    ]
    if not is_portal(user):
        handoffs = Handoff.objects.select_related("request", "from_user", "from_queue", "from_department", "to_user", "to_queue",
                                                  "to_department", "by").order_by("at", "id")  # fmt: skip
        escalations = Escalation.objects.select_related("request", "to_user", "by").order_by("at", "id")
        rows += [Prefetch("handoffs", queryset=handoffs, to_attr="handoff_rows"),
                 Prefetch("escalations", queryset=escalations, to_attr="escalation_rows")]  # fmt: skip
    return requests.prefetch_related(*rows)


# --- Writing ------------------------------------------------------------------------------------


class RequestLogSerializer(serializers.Serializer):
    customer = ScopedRelatedField(visible=loggable_customers, model=Customer, required=False, allow_null=True,
                                  help_text=gettext_lazy("Left out with a requester email: logged for triage. A customer "
                                                         "(portal) user's own customer when left out."))  # fmt: skip
    contact = ScopedRelatedField(visible=loggable_contacts, model=Contact, required=False, allow_null=True,
                                 help_text=gettext_lazy("A contact of the customer."))  # fmt: skip
    requester_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    installed_item = ScopedRelatedField(visible=loggable_items, model=InstalledItem, required=False, allow_null=True,
                                        help_text=gettext_lazy("A module of the customer's installed base."))  # fmt: skip
    subject = TextField(max_length=200)
    description = TextField(max_length=50_000, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, default=Category.FAULT)
    severity = PatternChoiceField(choices=Severity.choices, default=Severity.P3)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.FEW)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False,
                                      help_text=gettext_lazy("Required for staff; always `portal` for a customer (portal) "
                                                             "user."))  # fmt: skip


class MessageSerializer(serializers.Serializer):
    body = TextField(max_length=100_000)


class TransferSerializer(VersionedUpdateSerializer):
    queue = ScopedRelatedField(visible=lambda user: Queue.objects.filter(is_active=True), model=Queue,
                               error_messages={"does_not_exist": gettext_lazy("Choose a queue that exists and is in use.")},
                               help_text=gettext_lazy("An active queue."))  # fmt: skip
    user = ScopedRelatedField(visible=visible_users, model=User, required=False, allow_null=True,
                              help_text=gettext_lazy("An agent of that queue; left out, its assignment rule picks."))  # fmt: skip
    reason = TextField(max_length=500, help_text=gettext_lazy("Why it moves: the next department reads it."))


class AssignSerializer(VersionedUpdateSerializer):
    user = ScopedRelatedField(visible=visible_users, model=User, help_text=gettext_lazy("An agent of the request's queue."))
    reason = TextField(max_length=500, required=False, allow_blank=True, default="")


class OwnerSerializer(VersionedUpdateSerializer):
    owner = ScopedRelatedField(visible=visible_users, model=User, help_text=gettext_lazy("The new accountable case owner."))
    reason = TextField(max_length=500)


class StatusSerializer(VersionedUpdateSerializer):
    status = PatternChoiceField(choices=Status.choices, help_text=gettext_lazy(
        "The next status; the workflow allows new → triaged → in progress ⇄ waiting for customer → resolved → closed, "
        "and reopening a resolved or closed request."))  # fmt: skip
    note = TextField(max_length=500, required=False, allow_blank=True, default="",
                                 help_text=gettext_lazy("Required to close a new request without work."))  # fmt: skip
    resolution = TextField(max_length=10_000, required=False, allow_blank=True, default="",
                                       help_text=gettext_lazy("Required to resolve, unless given before."))  # fmt: skip


def _request_contacts(context: dict[str, Any]) -> QuerySet[Contact]:
    return Contact.objects.filter(customer_id=context["service_request"].customer_id)


class RequestContactField(ScopedRelatedField):
    """A contact of the customer of the request in the URL."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(visible=None, model=Contact, **kwargs)

    def get_queryset(self) -> QuerySet[Contact]:
        return _request_contacts(self.context)


class CustomerMessageSerializer(serializers.Serializer):
    body = TextField(max_length=100_000)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.EMAIL,
                                      help_text=gettext_lazy("Always `portal` for a customer (portal) user."))  # fmt: skip
    contact = RequestContactField(required=False, allow_null=True, help_text=gettext_lazy("A contact of the request's customer."))
    message_id = TextField(max_length=250, required=False, allow_blank=True, default="",
                                       help_text=gettext_lazy("The mail's Message-ID, so that it is not taken twice."))  # fmt: skip


# --- The endpoints ------------------------------------------------------------------------------


def _assigned_to_me(requests: QuerySet, wanted: bool) -> QuerySet:
    return requests  # applied by the view, which knows who asks


def _open(requests: QuerySet, wanted: bool) -> QuerySet:
    return requests.filter(status__in=OPEN) if wanted else requests.exclude(status__in=OPEN)


def _search(requests: QuerySet, text: str) -> QuerySet:
    text = text.strip()
    return requests.filter(Q(number__iexact=text) | Q(subject__icontains=text) | Q(customer__name__icontains=text)
                           | Q(customer__short_name__icontains=text))  # fmt: skip


REQUEST_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=Status.choices)),
    "severity": QueryFilter("severity", serializers.ChoiceField(choices=Severity.choices)),
    "category": QueryFilter("category", serializers.ChoiceField(choices=Category.choices)),
    "channel": QueryFilter("channel", serializers.ChoiceField(choices=Channel.choices)),
    "entitlement": QueryFilter("entitlement", serializers.ChoiceField(choices=Entitlement.choices)),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "sla_state": QueryFilter("sla_state", serializers.ChoiceField(choices=SlaState.choices)),
    "open": QueryFilter(_open, serializers.BooleanField(), gettext_lazy("true: open requests only; false: resolved and closed.")),
    "queue": QueryFilter("queue_id", id_field(), gettext_lazy("Queue id. Staff only.")),
    "department": QueryFilter("department_id", id_field(), gettext_lazy("Department id. Staff only.")),
    "bounced": QueryFilter("bounced", serializers.BooleanField(), gettext_lazy("Staff only.")),
    "stuck": QueryFilter("stuck", serializers.BooleanField(), gettext_lazy("Staff only.")),
    "needs_triage": QueryFilter("needs_triage", serializers.BooleanField(), gettext_lazy("Staff only.")),
    "assigned_to_me": QueryFilter(
        _assigned_to_me, serializers.BooleanField(), gettext_lazy("true: the requests assigned to you; false: the others. Staff only.")
    ),  # fmt: skip
    "search": QueryFilter(
        _search, serializers.CharField(max_length=100), gettext_lazy("A number, or words of the subject or the customer's name.")
    ),  # fmt: skip
}
STAFF_FILTERS = ("queue", "department", "bounced", "stuck", "needs_triage", "assigned_to_me")
REQUEST_ORDERING = ["created_at", "updated_at", "resolution_due_at", "severity", "number"]


def _work_step(summary: Any, body: Any, code: int = 200, errors: Any = EDIT_ERRORS) -> Any:
    return extend_schema(summary=summary, request=body, responses={code: ServiceRequestSerializer, **errors})


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List service requests"),
        parameters=filter_parameters(REQUEST_FILTERS, REQUEST_ORDERING),
        responses={200: ServiceRequestSerializer(many=True), **LIST_ERRORS},
    ),  # fmt: skip
    retrieve=extend_schema(
        summary=gettext_lazy("Get a service request with its conversation and history"),
        responses={200: ServiceRequestSerializer, **READ_ERRORS},
    ),  # fmt: skip
    create=_work_step(
        gettext_lazy("Log a service request: cover, SLA, routing and assignment follow"), RequestLogSerializer, 201, WRITE_ERRORS
    ),  # fmt: skip
    reply=_work_step(
        gettext_lazy("Reply to the customer (mailed to the contact); a customer (portal) user's answer is a customer message"),
        MessageSerializer,
        201,
        WRITE_ERRORS,
    ),  # fmt: skip
    note=_work_step(gettext_lazy("Add an internal note"), MessageSerializer, 201, WRITE_ERRORS),
    messages=_work_step(
        gettext_lazy("Record a message from the customer (portal, mail gateway or an integration)"),
        CustomerMessageSerializer,
        201,
        WRITE_ERRORS,
    ),  # fmt: skip
    transfer=_work_step(gettext_lazy("Transfer the request to another queue (a handoff; the case owner stays)"), TransferSerializer),
    assign=_work_step(gettext_lazy("Assign the request to an agent of its queue"), AssignSerializer),
    owner=_work_step(gettext_lazy("Change the accountable case owner"), OwnerSerializer),
    status=_work_step(gettext_lazy("Move the request along its workflow"), StatusSerializer),
)
class ServiceRequestViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Service requests you may see; a customer (portal) user's own customer's only."""

    serializer_class = ServiceRequestSerializer
    query_filters = REQUEST_FILTERS
    ordering_fields = REQUEST_ORDERING
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        user = self.request.user
        requests = readable_requests(user).select_related(*ROW_FIELDS).prefetch_related(*ROW_PREFETCH)
        if self.action == "list":
            return self._narrowed(requests)
        return with_history(requests, user) if self.action == "retrieve" else requests

    def _narrowed(self, requests: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
        """What the whitelist filter cannot do alone: the internal filters are unknown to portal
        users, and `assigned_to_me` needs the reader."""
        given = self.request.query_params
        if is_portal(self.request.user):
            refused = [name for name in STAFF_FILTERS if name in given]
            if refused:
                raise serializers.ValidationError({name: [_("Unknown filter.")] for name in refused})
        mine = given.get("assigned_to_me")
        if mine in serializers.BooleanField.TRUE_VALUES:
            requests = requests.filter(assignee_id=self.request.user.pk)
        elif mine in serializers.BooleanField.FALSE_VALUES:
            requests = requests.exclude(assignee_id=self.request.user.pk)
        return requests

    def get_object(self) -> ServiceRequest:
        path_id(self.kwargs["pk"])  # what cannot be an id is a 404 before it reaches the database
        return super().get_object()

    def _detail(self, request: ServiceRequest, code: int = HTTP_200_OK) -> Response:
        rows = ServiceRequest.objects.select_related(*ROW_FIELDS).prefetch_related(*ROW_PREFETCH)
        fresh = with_history(rows, self.request.user).get(pk=request.pk)
        return Response(ServiceRequestSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _workable(self) -> ServiceRequest:
        service_request = self.get_object()
        refuse_portal(self.request.user)
        self.require(can_work_request(self.request.user, service_request))
        return service_request

    def _assignable(self) -> ServiceRequest:
        service_request = self.get_object()
        refuse_portal(self.request.user)
        self.require(can_assign_request(self.request.user, service_request))
        return service_request

    @staticmethod
    def _locked_at(service_request: ServiceRequest, version: int) -> None:
        """Inside the caller's transaction: lock the row and compare the version read."""
        require_version(ServiceRequest.objects.select_for_update(of=("self",)).get(pk=service_request.pk), version)

    def create(self, request: Request) -> Response:
        user = request.user
        values = self.validated(RequestLogSerializer)
        customer = values.pop("customer", None)
        ids = portal_ids(user)
        if ids is not None:
            if customer is None and len(ids) == 1:
                customer = Customer.objects.get(pk=next(iter(ids)))
            if customer is None:
                raise serializers.ValidationError({"customer": [_("Choose the customer.")]})
            values["channel"] = Channel.PORTAL
        else:
            self.require(can_log_request_for(user, customer) if customer is not None else may_log_requests(user))
        logged = request_services.request_create(by=user, customer=customer, channel=values.pop("channel", ""), **values)
        return self._detail(logged, HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        if is_portal(request.user):
            return self._customer_message(request)
        service_request = self._workable()
        request_services.request_reply(request=service_request, by=request.user, **self.validated(MessageSerializer))
        return self._detail(service_request, HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str | None = None) -> Response:
        service_request = self._workable()
        request_services.request_note(request=service_request, by=request.user, **self.validated(MessageSerializer))
        return self._detail(service_request, HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        return self._customer_message(request)

    def _customer_message(self, request: Request) -> Response:
        service_request = self.get_object()
        if not is_portal(request.user):
            self.require(can_work_request(request.user, service_request))
        serializer = CustomerMessageSerializer(data=request.data, context={**self.get_serializer_context(),
                                                                           "service_request": service_request})  # fmt: skip
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        if is_portal(request.user):
            values["channel"] = Channel.PORTAL
        request_services.request_customer_message(request=service_request, by=request.user, files=[], **values)
        return self._detail(service_request, HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        service_request = self._workable()
        values = self.validated(TransferSerializer)
        with transaction.atomic():
            self._locked_at(service_request, values.pop("version"))
            request_services.request_transfer(request=service_request, by=request.user, **values)
        return self._detail(service_request)

    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        service_request = self._assignable()
        values = self.validated(AssignSerializer)
        with transaction.atomic():
            self._locked_at(service_request, values.pop("version"))
            request_services.request_assign(request=service_request, by=request.user, **values)
        return self._detail(service_request)

    @action(detail=True, methods=["post"])
    def owner(self, request: Request, pk: str | None = None) -> Response:
        service_request = self._assignable()
        values = self.validated(OwnerSerializer)
        with transaction.atomic():
            self._locked_at(service_request, values.pop("version"))
            request_services.request_set_owner(request=service_request, by=request.user, **values)
        return self._detail(service_request)

    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        service_request = self._workable()
        values = self.validated(StatusSerializer)
        with transaction.atomic():
            self._locked_at(service_request, values.pop("version"))
            request_services.request_set_status(request=service_request, by=request.user, **values)
        return self._detail(service_request)


# (prefix, viewset, basename) for the router, and plain API views.
ROUTES: list[tuple[str, Any, str]] = [("service-requests", ServiceRequestViewSet, "api-service-request"), *queues.ROUTES]
PATHS: list[Any] = []
