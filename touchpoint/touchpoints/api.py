"""API for touchpoints and follow-ups: thin serializers, access checks, then the services."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import (
    EDIT_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryFilter,
    ScopedListField,
    ScopedRelatedField,
    ScopedViewMixin,
    VersionedUpdateSerializer,
    filter_parameters,
)
from touchpoint.customers.access import visible_contacts, visible_customers
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.access import visible_users
from touchpoint.org.models import User
from touchpoint.touchpoints.access import (
    can_create_followup,
    can_create_touchpoint,
    can_delete_followup,
    can_delete_touchpoint,
    can_edit_followup,
    can_edit_touchpoint,
    can_reassign_followup,
    visible_attachments,
    visible_followups,
    visible_touchpoints,
)
from touchpoint.touchpoints.models import Attachment, Channel, Direction, FollowUp, FollowUpStatus, Touchpoint
from touchpoint.touchpoints.services import (
    followup_complete,
    followup_create,
    followup_delete,
    followup_reassign,
    followup_update,
    touchpoint_delete,
    touchpoint_log,
    touchpoint_update,
)

# --- Touchpoints ------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "created_at", "download_url"]
        # Output only; fields are left writable so that blank choices stay documented as blank.

    def get_download_url(self, attachment: Attachment) -> str:
        return f"/attachments/{attachment.pk}/download/"


class TouchpointSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    logged_by_name = serializers.CharField(source="logged_by.__str__", read_only=True)
    attachments = AttachmentSerializer(source="visible_attachments", many=True, read_only=True)

    class Meta:
        model = Touchpoint
        fields = [
            "id", "customer", "customer_name", "channel", "direction", "occurred_at", "subject", "notes", "outcome",
            "department", "logged_by", "logged_by_name", "contacts", "participants", "attachments",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        # Output only; fields are left writable so that blank choices stay documented as blank.


TOUCHPOINT_EDITABLE = ["channel", "direction", "occurred_at", "subject", "notes", "outcome"]


class TouchpointCreateSerializer(serializers.ModelSerializer):
    customer = ScopedRelatedField(visible=visible_customers, model=Customer)
    contacts = ScopedListField(visible=visible_contacts, required=False)
    participants = ScopedListField(visible=visible_users, required=False)
    followup_due_on = serializers.DateField(
        required=False, help_text=gettext_lazy("Plan a follow-up on this date along with the touchpoint.")
    )
    followup_assignee = ScopedRelatedField(visible=visible_users, model=User, required=False)
    followup_subject = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = Touchpoint
        fields = [
            "customer", *TOUCHPOINT_EDITABLE, "contacts", "participants",
            "followup_due_on", "followup_assignee", "followup_subject",
        ]  # fmt: skip
        extra_kwargs = {"occurred_at": {"required": False}}


class TouchpointUpdateSerializer(VersionedUpdateSerializer, serializers.ModelSerializer):
    contacts = ScopedListField(visible=visible_contacts, required=False)

    class Meta:
        model = Touchpoint
        fields = [*TOUCHPOINT_EDITABLE, "contacts", "version"]


TOUCHPOINT_FILTERS = {
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1), gettext_lazy("Customer id.")),
    "contact": QueryFilter("contacts", serializers.IntegerField(min_value=1), gettext_lazy("With this contact.")),
    "channel": QueryFilter("channel", serializers.ChoiceField(choices=Channel.choices)),
    "direction": QueryFilter("direction", serializers.ChoiceField(choices=Direction.choices)),
    "logged_by": QueryFilter("logged_by_id", serializers.IntegerField(min_value=1), gettext_lazy("User id.")),
    "occurred_after": QueryFilter("occurred_at__gte", serializers.DateTimeField(), gettext_lazy("At or after this time.")),
    "occurred_before": QueryFilter("occurred_at__lt", serializers.DateTimeField(), gettext_lazy("Before this time.")),
}
TOUCHPOINT_ORDERING = ["occurred_at", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List touchpoints"),
        parameters=filter_parameters(TOUCHPOINT_FILTERS, TOUCHPOINT_ORDERING),
        responses={200: TouchpointSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a touchpoint"), responses={200: TouchpointSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Log a touchpoint"),
        request=TouchpointCreateSerializer,
        responses={201: TouchpointSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a touchpoint"),
        request=TouchpointUpdateSerializer,
        responses={200: TouchpointSerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change a touchpoint"),
        request=TouchpointUpdateSerializer,
        responses={200: TouchpointSerializer, **EDIT_ERRORS},
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete a touchpoint (to the recycle bin)"), responses={204: None, **WRITE_ERRORS}),
)
class TouchpointViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Interactions with customers on every channel."""

    serializer_class = TouchpointSerializer
    query_filters = TOUCHPOINT_FILTERS
    ordering_fields = TOUCHPOINT_ORDERING
    ordering = ["-occurred_at", "-pk"]

    def get_queryset(self) -> QuerySet[Touchpoint]:
        user = self.request.user
        return (
            visible_touchpoints(user)
            .select_related("customer", "logged_by")
            .prefetch_related(
                "contacts",
                "participants",
                Prefetch("attachments", queryset=visible_attachments(user), to_attr="visible_attachments"),
            )
        )

    def _read(self, touchpoint: Touchpoint, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=touchpoint.pk).first() or touchpoint
        return Response(TouchpointSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(TouchpointCreateSerializer)
        self.require(can_create_touchpoint(request.user, values["customer"]))
        touchpoint = touchpoint_log(by=request.user, **values)
        return self._read(touchpoint, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        touchpoint = self.get_object()
        self.require(can_edit_touchpoint(request.user, touchpoint))
        values = self.validated(TouchpointUpdateSerializer, partial=partial)
        updated, _diff = touchpoint_update(touchpoint=touchpoint, by=request.user, expected_version=values.pop("version"), **values)
        return self._read(updated)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        touchpoint = self.get_object()
        self.require(can_delete_touchpoint(request.user, touchpoint))
        touchpoint_delete(touchpoint=touchpoint, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Follow-ups -------------------------------------------------------------------------


class FollowUpSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    assignee_name = serializers.CharField(source="assignee.__str__", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id", "customer", "customer_name", "touchpoint", "contact", "subject", "notes", "due_on",
            "assignee", "assignee_name", "created_by", "status", "done_at", "done_by", "is_overdue",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        # Output only; fields are left writable so that blank choices stay documented as blank.


class FollowUpCreateSerializer(serializers.ModelSerializer):
    customer = ScopedRelatedField(visible=visible_customers, model=Customer)
    assignee = ScopedRelatedField(
        visible=visible_users, model=User, required=False,
        help_text=gettext_lazy("Who follows up; yourself when left out."),
    )  # fmt: skip
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact, required=False, allow_null=True)
    touchpoint = ScopedRelatedField(visible=visible_touchpoints, model=Touchpoint, required=False, allow_null=True)

    class Meta:
        model = FollowUp
        fields = ["customer", "assignee", "subject", "notes", "due_on", "contact", "touchpoint"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        touchpoint = attrs.get("touchpoint")
        if touchpoint is not None and touchpoint.customer_id != attrs["customer"].pk:
            raise serializers.ValidationError({"touchpoint": [_("The touchpoint must belong to this customer.")]})
        return attrs


class FollowUpUpdateSerializer(VersionedUpdateSerializer, serializers.ModelSerializer):
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact, required=False, allow_null=True)

    class Meta:
        model = FollowUp
        fields = ["subject", "notes", "due_on", "contact", "version"]


class FollowUpCompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FollowUpReassignSerializer(serializers.Serializer):
    assignee = ScopedRelatedField(visible=visible_users, model=User)
    reason = serializers.CharField(max_length=500)


FOLLOWUP_FILTERS = {
    "customer": QueryFilter("customer_id", serializers.IntegerField(min_value=1), gettext_lazy("Customer id.")),
    "assignee": QueryFilter("assignee_id", serializers.IntegerField(min_value=1), gettext_lazy("User id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=FollowUpStatus.choices)),
    "touchpoint": QueryFilter("touchpoint_id", serializers.IntegerField(min_value=1)),
    "due_after": QueryFilter("due_on__gte", serializers.DateField(), gettext_lazy("Due on or after this date.")),
    "due_before": QueryFilter("due_on__lte", serializers.DateField(), gettext_lazy("Due on or before this date.")),
}
FOLLOWUP_ORDERING = ["due_on", "created_at", "updated_at"]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("List follow-ups"),
        parameters=filter_parameters(FOLLOWUP_FILTERS, FOLLOWUP_ORDERING),
        responses={200: FollowUpSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary=gettext_lazy("Get a follow-up"), responses={200: FollowUpSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary=gettext_lazy("Plan a follow-up"),
        request=FollowUpCreateSerializer,
        responses={201: FollowUpSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary=gettext_lazy("Replace a follow-up"),
        request=FollowUpUpdateSerializer,
        responses={200: FollowUpSerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change a follow-up"),
        request=FollowUpUpdateSerializer,
        responses={200: FollowUpSerializer, **EDIT_ERRORS},
    ),
    destroy=extend_schema(summary=gettext_lazy("Delete a follow-up (to the recycle bin)"), responses={204: None, **WRITE_ERRORS}),
    complete=extend_schema(
        summary=gettext_lazy("Mark a follow-up done"),
        request=FollowUpCompleteSerializer,
        responses={200: FollowUpSerializer, **WRITE_ERRORS},
    ),
    reassign=extend_schema(
        summary=gettext_lazy("Hand a follow-up to a colleague"),
        request=FollowUpReassignSerializer,
        responses={200: FollowUpSerializer, **WRITE_ERRORS},
    ),
)
class FollowUpViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Follow-ups: what someone must do for a customer, and by when."""

    serializer_class = FollowUpSerializer
    query_filters = FOLLOWUP_FILTERS
    ordering_fields = FOLLOWUP_ORDERING
    ordering = ["due_on", "pk"]

    def get_queryset(self) -> QuerySet[FollowUp]:
        return visible_followups(self.request.user).select_related("customer", "assignee")

    def _read(self, followup: FollowUp, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=followup.pk).first() or followup
        return Response(FollowUpSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(FollowUpCreateSerializer)
        self.require(can_create_followup(request.user, values["customer"]))
        values.setdefault("assignee", request.user)
        followup = followup_create(by=request.user, **values)
        return self._read(followup, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._edit(request, partial=True)

    def _edit(self, request: Request, *, partial: bool) -> Response:
        followup = self.get_object()
        self.require(can_edit_followup(request.user, followup))
        values = self.validated(FollowUpUpdateSerializer, partial=partial)
        updated, _diff = followup_update(followup=followup, by=request.user, expected_version=values.pop("version"), **values)
        return self._read(updated)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        followup = self.get_object()
        self.require(can_delete_followup(request.user, followup))
        followup_delete(followup=followup, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        followup = self.get_object()
        self.require(can_edit_followup(request.user, followup))
        values = self.validated(FollowUpCompleteSerializer)
        done = followup_complete(followup=followup, by=request.user, outcome=values.get("outcome", ""))
        return self._read(done)

    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        followup = self.get_object()
        self.require(can_reassign_followup(request.user, followup))
        values = self.validated(FollowUpReassignSerializer)
        moved = followup_reassign(followup=followup, assignee=values["assignee"], by=request.user, reason=values["reason"])
        return self._read(moved)
