"""API for timesheets and site visits: engineers log hours per task and day, the project manager
approves or rejects them; a visit to the customer's site is logged as a face-to-face touchpoint."""

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
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryFilter,
    ScopedListField,
    ScopedRelatedField,
    ScopedViewMixin,
    filter_parameters,
)
from touchpoint.customers.access import visible_contacts
from touchpoint.delivery import access
from touchpoint.delivery.api.shared import NameField, errors_renamed, id_field, visible_tasks
from touchpoint.delivery.models import Project, Task, TimeEntry, TimeStatus
from touchpoint.delivery.services import timesheets as time_services
from touchpoint.org.access import visible_users
from touchpoint.touchpoints.access import can_create_touchpoint, visible_attachments, visible_touchpoints
from touchpoint.touchpoints.api import TouchpointSerializer
from touchpoint.touchpoints.models import Touchpoint

# --- Time entries ---------------------------------------------------------------------------------


class TimeEntrySerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    task_name = serializers.CharField(source="task.name", read_only=True)
    user_name = NameField(source="user")
    decided_by_name = NameField(source="decided_by", allow_null=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "project", "project_number", "customer", "task", "task_name", "user", "user_name", "work_date", "hours",
                  "note", "status", "decided_by", "decided_by_name", "decided_at", "reject_reason", "created_at"]  # fmt: skip
        read_only_fields = fields


class TimeLogSerializer(serializers.Serializer):
    task = ScopedRelatedField(visible=visible_tasks, model=Task, help_text=gettext_lazy("A task of a running project you are on."))
    work_date = serializers.DateField(help_text=gettext_lazy("The day worked; not in the future."))
    hours = serializers.DecimalField(max_digits=6, decimal_places=2,
                                     help_text=gettext_lazy("More than 0; one person's hours of a day add up to 24 at most."))  # fmt: skip
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TimeRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


TIME_FILTERS = {
    "project": QueryFilter("project_id", id_field(), gettext_lazy("Project id.")),
    "task": QueryFilter("task_id", id_field(), gettext_lazy("Task id.")),
    "user": QueryFilter("user_id", id_field(), gettext_lazy("Whose hours: a user id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=TimeStatus.choices)),
    "worked_from": QueryFilter("work_date__gte", serializers.DateField(), gettext_lazy("Worked on or after this day.")),
    "worked_to": QueryFilter("work_date__lte", serializers.DateField(), gettext_lazy("Worked on or before this day.")),
}
TIME_ORDERING = ["work_date", "hours", "created_at"]


def _decision(summary: Any, request: Any = None) -> Any:
    return extend_schema(summary=summary, request=request, responses={200: TimeEntrySerializer, **WRITE_ERRORS})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List time entries"), parameters=filter_parameters(TIME_FILTERS, TIME_ORDERING),
                       responses={200: TimeEntrySerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a time entry"), responses={200: TimeEntrySerializer, **READ_ERRORS}),
    create=extend_schema(summary=gettext_lazy("Log your hours on a task for a day"), request=TimeLogSerializer,
                         responses={201: TimeEntrySerializer, **WRITE_ERRORS}),  # fmt: skip
    destroy=extend_schema(summary=gettext_lazy("Remove your own hours not yet approved"), responses={204: None, **WRITE_ERRORS}),
    approve=_decision(gettext_lazy("Approve submitted hours (the project manager; never one's own)")),
    reject=_decision(gettext_lazy("Reject submitted hours, saying why"), TimeRejectSerializer),
)
class TimeEntryViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hours you may see: your own, and those on the projects you manage."""

    serializer_class = TimeEntrySerializer
    query_filters = TIME_FILTERS
    ordering_fields = TIME_ORDERING
    ordering = ["-work_date", "-pk"]

    def get_queryset(self) -> QuerySet[TimeEntry]:
        return access.visible_time(self.request.user).select_related("project", "task", "user", "decided_by")

    def _read(self, entry: TimeEntry, code: int = status.HTTP_200_OK) -> Response:
        fresh = TimeEntry.objects.select_related("project", "task", "user", "decided_by").get(pk=entry.pk)
        return Response(TimeEntrySerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(TimeLogSerializer)
        project = values["task"].project
        # On an archived project the service refuses with a field error before it writes anything.
        if project.is_running:
            self.require(access.can_log_time(request.user, project))
        entry = time_services.time_log(user=request.user, **values)
        return self._read(entry, status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        entry = self.get_object()
        self.require(access.can_delete_time(request.user, entry))
        time_services.time_delete(entry=entry, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _decide(self, *, approve: bool, reason: str = "") -> Response:
        entry = self.get_object()
        self.require(access.can_decide_time(self.request.user, entry))
        if not time_services.time_decide(entries=[entry], by=self.request.user, approve=approve, reason=reason):
            message = _("These hours are already %(status)s.") % {"status": entry.get_status_display()}
            raise serializers.ValidationError({"status": [message]})
        return self._read(entry)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(approve=True)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(approve=False, reason=self.validated(TimeRejectSerializer)["reason"])


# --- Site visits ----------------------------------------------------------------------------------


class SiteVisitSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project, help_text=gettext_lazy("A running project."))
    occurred_at = serializers.DateTimeField(help_text=gettext_lazy("When the visit took place; not in the future."))
    subject = serializers.CharField(max_length=200, help_text=gettext_lazy("What the visit was for."))
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    contacts = ScopedListField(visible=visible_contacts, required=False, default=list,
                               help_text=gettext_lazy("The customer's people met."))  # fmt: skip
    participants = ScopedListField(visible=visible_users, required=False, default=list,
                                   help_text=gettext_lazy("Colleagues who went along."))  # fmt: skip


def touchpoint_for(user: Any, touchpoint: Touchpoint) -> Touchpoint:
    """The touchpoint as the touchpoints API answers it, with the attachments the user may see."""
    found = (
        visible_touchpoints(user).select_related("customer", "logged_by")
        .prefetch_related("contacts", "participants",
                          Prefetch("attachments", queryset=visible_attachments(user), to_attr="visible_attachments"))
        .filter(pk=touchpoint.pk).first()
    )  # fmt: skip
    if found is None:
        touchpoint.visible_attachments = []  # type: ignore[attr-defined]
        return touchpoint
    return found


class SiteVisitViewSet(ScopedViewMixin, viewsets.ViewSet):
    """Visits to the customer's site, logged from a project onto the customer's timeline."""

    @extend_schema(
        summary=gettext_lazy("Log a visit to the customer's site for a project"),
        description=gettext_lazy("A face-to-face touchpoint on the customer's timeline, linked to the project."),
        request=SiteVisitSerializer, responses={201: TouchpointSerializer, **WRITE_ERRORS},
    )  # fmt: skip
    def create(self, request: Request) -> Response:
        values = self.validated(SiteVisitSerializer)
        project = values.pop("project")
        self.require(can_create_touchpoint(request.user, project.customer))
        with errors_renamed(__all__="project"):
            touchpoint = time_services.site_visit_log(project=project, by=request.user, **values)
        data = TouchpointSerializer(touchpoint_for(request.user, touchpoint), context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)
