"""API for the work around the plan: the risks and issues log, change requests (quoted as addenda in
sales, then decided by the customer) and the weekly status reports mailed to the customer."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from touchpoint.core.api import (
    EDIT_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryFilter,
    ScopedRelatedField,
    VersionedUpdateSerializer,
    filter_parameters,
)
from touchpoint.customers.access import visible_contacts
from touchpoint.customers.models import Contact
from touchpoint.delivery import access
from touchpoint.delivery.api.shared import NameField, PatternChoiceField, ProjectPartViewSet, id_field, require_version
from touchpoint.delivery.models import (
    ChangeRequest,
    ChangeStatus,
    Level,
    Project,
    ReportStatus,
    Risk,
    RiskKind,
    RiskStatus,
    StatusReport,
)
from touchpoint.delivery.services import changes as change_services
from touchpoint.delivery.services import risks as risk_services
from touchpoint.delivery.services import status_reports as report_services
from touchpoint.org.access import visible_users
from touchpoint.org.models import User


def projects_parts(model: Any, user: Any) -> QuerySet:
    return model.objects.filter(project__in=access.visible_projects(user).values("pk"))


PROJECT_FILTER = QueryFilter("project_id", id_field(), gettext_lazy("Project id."))

# --- Risks and issues -----------------------------------------------------------------------------


# Patterns: `kind` is another app's enum name, and impact and likelihood share one choice set.
class RiskSerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    kind = PatternChoiceField(read_only=True, choices=RiskKind.choices)
    impact = PatternChoiceField(read_only=True, choices=Level.choices)
    likelihood = PatternChoiceField(read_only=True, choices=Level.choices)
    owner_name = NameField(source="owner", allow_null=True)
    raised_by_name = NameField(source="raised_by")

    class Meta:
        model = Risk
        fields = ["id", "project", "project_number", "kind", "title", "description", "impact", "likelihood", "mitigation", "owner",
                  "owner_name", "due_on", "status", "closed_at", "raised_by", "raised_by_name", "version", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields


class RiskRaiseSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project)
    kind = PatternChoiceField(default=RiskKind.RISK, choices=RiskKind.choices)
    title = serializers.CharField(max_length=160)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    impact = PatternChoiceField(default=Level.MEDIUM, choices=Level.choices)
    likelihood = PatternChoiceField(default=Level.MEDIUM, choices=Level.choices)
    mitigation = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    owner = ScopedRelatedField(visible=visible_users, model=User, required=False, allow_null=True,
                               help_text=gettext_lazy("Who handles it; told so."))  # fmt: skip
    due_on = serializers.DateField(required=False, allow_null=True)


@extend_schema_serializer(component_name="Risk")  # PatchedRiskRequest: its status choices are the risk's, documented once
class RiskUpdateSerializer(VersionedUpdateSerializer):
    kind = PatternChoiceField(required=False, choices=RiskKind.choices)
    title = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    impact = PatternChoiceField(required=False, choices=Level.choices)
    likelihood = PatternChoiceField(required=False, choices=Level.choices)
    mitigation = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    owner = ScopedRelatedField(visible=visible_users, model=User, required=False, allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=RiskStatus.choices, required=False)


RISK_FILTERS = {
    "project": PROJECT_FILTER,
    "kind": QueryFilter("kind", serializers.ChoiceField(choices=RiskKind.choices)),  # a query parameter's enum is inline
    "status": QueryFilter("status", serializers.ChoiceField(choices=RiskStatus.choices)),
    "impact": QueryFilter("impact", serializers.ChoiceField(choices=Level.choices)),
}
RISK_ORDERING = ["created_at", "due_on"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List risks and issues"), parameters=filter_parameters(RISK_FILTERS, RISK_ORDERING),
                       responses={200: RiskSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a risk or issue"), responses={200: RiskSerializer, **READ_ERRORS}),
    create=extend_schema(summary=gettext_lazy("Raise a risk or issue on a project"), request=RiskRaiseSerializer,
                         responses={201: RiskSerializer, **WRITE_ERRORS}),  # fmt: skip
    partial_update=extend_schema(summary=gettext_lazy("Change a risk or issue, or close it"), request=RiskUpdateSerializer,
                                 responses={200: RiskSerializer, **EDIT_ERRORS}),  # fmt: skip
)
class RiskViewSet(ProjectPartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Risks and issues of the projects you may see."""

    serializer_class = RiskSerializer
    query_filters = RISK_FILTERS
    ordering_fields = RISK_ORDERING
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Risk]:
        return projects_parts(Risk, self.request.user).select_related("project", "owner", "raised_by")

    def _read(self, risk: Risk, code: int = status.HTTP_200_OK) -> Response:
        fresh = Risk.objects.select_related("project", "owner", "raised_by").get(pk=risk.pk)
        return Response(RiskSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(RiskRaiseSerializer)
        project = self.editable_project(values.pop("project"))
        return self._read(risk_services.risk_raise(project=project, by=request.user, **values), status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        risk = self.editable()
        values = self.validated(RiskUpdateSerializer, partial=True)
        version = values.pop("version")
        require_version(risk, version)
        return self._read(risk_services.risk_update(risk=risk, by=request.user, expected_version=version, **values))


# --- Change requests ------------------------------------------------------------------------------


class ChangeRequestSerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    quote_number = NameField(source="quote.number", allow_null=True, help_text=gettext_lazy("The quote addendum's number."))
    requested_by_name = NameField(source="requested_by")

    class Meta:
        model = ChangeRequest
        fields = ["id", "project", "project_number", "number", "title", "description", "effort_days", "schedule_days", "price",
                  "currency", "status", "quote", "quote_number", "requested_by", "requested_by_name", "decided_at", "version",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ChangeRequestRaiseSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project)
    title = serializers.CharField(max_length=160)
    description = serializers.CharField(max_length=5000)
    effort_days = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0, required=False, default=Decimal(0),
                                           help_text=gettext_lazy("Person-days."))  # fmt: skip
    schedule_days = serializers.IntegerField(min_value=0, max_value=3650, required=False, default=0,
                                             help_text=gettext_lazy("Days the planned end moves when it is approved."))  # fmt: skip
    price = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True,
                                     help_text=gettext_lazy("Left out, the effort at the product's day rate."))  # fmt: skip


class ChangeDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=gettext_lazy("true: the customer approved the change; false: rejected it."))


CHANGE_FILTERS = {"project": PROJECT_FILTER, "status": QueryFilter("status", serializers.ChoiceField(choices=ChangeStatus.choices))}
CHANGE_ORDERING = ["created_at", "price"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List change requests"), parameters=filter_parameters(CHANGE_FILTERS, CHANGE_ORDERING),
                       responses={200: ChangeRequestSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a change request"), responses={200: ChangeRequestSerializer, **READ_ERRORS}),
    create=extend_schema(summary=gettext_lazy("Raise a change request on a project"), request=ChangeRequestRaiseSerializer,
                         responses={201: ChangeRequestSerializer, **WRITE_ERRORS}),  # fmt: skip
    quote=extend_schema(summary=gettext_lazy("Price a draft change request as a quote addendum on the contract"), request=None,
                        responses={200: ChangeRequestSerializer, **WRITE_ERRORS}),  # fmt: skip
    decide=extend_schema(summary=gettext_lazy("Record the customer's decision on a change request"), request=ChangeDecisionSerializer,
                         responses={200: ChangeRequestSerializer, **WRITE_ERRORS}),  # fmt: skip
)
class ChangeRequestViewSet(ProjectPartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Change requests of the projects you may see."""

    serializer_class = ChangeRequestSerializer
    query_filters = CHANGE_FILTERS
    ordering_fields = CHANGE_ORDERING
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[ChangeRequest]:
        return projects_parts(ChangeRequest, self.request.user).select_related("project", "quote", "requested_by")

    def _read(self, change: ChangeRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = ChangeRequest.objects.select_related("project", "quote", "requested_by").get(pk=change.pk)
        return Response(ChangeRequestSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(ChangeRequestRaiseSerializer)
        project = self.editable_project(values.pop("project"))
        change = change_services.change_request_raise(project=project, by=request.user, **values)
        return self._read(change, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def quote(self, request: Request, pk: str | None = None) -> Response:
        change = self.editable()
        change_services.change_request_quote(change=change, by=request.user)
        return self._read(change)

    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        change = self.editable()
        values = self.validated(ChangeDecisionSerializer)
        return self._read(change_services.change_request_decide(change=change, by=request.user, approve=values["approve"]))


# --- Weekly status reports ------------------------------------------------------------------------


class StatusReportSerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    sent_to_name = NameField(source="sent_to.name", allow_null=True)
    author_name = NameField(source="author")

    class Meta:
        model = StatusReport
        fields = ["id", "project", "project_number", "week_start", "subject", "body", "status", "sent_to", "sent_to_name",
                  "sent_at", "touchpoint", "author", "author_name", "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class StatusReportDraftSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project)
    week_start = serializers.DateField(required=False, allow_null=True,
                                       help_text=gettext_lazy("Any day of the week to report on; this week when left out."))  # fmt: skip


class StatusReportUpdateSerializer(VersionedUpdateSerializer):
    subject = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=20000, required=False)


class StatusReportSendSerializer(serializers.Serializer):
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact, help_text=gettext_lazy("A contact of the project's customer."))


REPORT_FILTERS = {"project": PROJECT_FILTER, "status": QueryFilter("status", serializers.ChoiceField(choices=ReportStatus.choices))}
REPORT_ORDERING = ["week_start"]


def _report_step(summary: Any, request: Any = None, errors: Any = WRITE_ERRORS) -> Any:
    return extend_schema(summary=summary, request=request, responses={200: StatusReportSerializer, **errors})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List weekly status reports"), parameters=filter_parameters(REPORT_FILTERS, REPORT_ORDERING),
                       responses={200: StatusReportSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a weekly status report"), responses={200: StatusReportSerializer, **READ_ERRORS}),
    draft=_report_step(gettext_lazy("Draft (or redraft, while unsent) a week's report from the project's events"),
                       StatusReportDraftSerializer),  # fmt: skip
    partial_update=_report_step(gettext_lazy("Edit a draft report"), StatusReportUpdateSerializer, EDIT_ERRORS),
    send=_report_step(gettext_lazy("Mail the report to a customer contact (logged as an email touchpoint)"), StatusReportSendSerializer),
)
class StatusReportViewSet(ProjectPartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Weekly status reports of the projects you may see."""

    serializer_class = StatusReportSerializer
    query_filters = REPORT_FILTERS
    ordering_fields = REPORT_ORDERING
    ordering = ["-week_start", "-pk"]

    def get_queryset(self) -> QuerySet[StatusReport]:
        return projects_parts(StatusReport, self.request.user).select_related("project", "sent_to", "author")

    def _read(self, report: StatusReport, code: int = status.HTTP_200_OK) -> Response:
        fresh = StatusReport.objects.select_related("project", "sent_to", "author").get(pk=report.pk)
        return Response(StatusReportSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @action(detail=False, methods=["post"])
    def draft(self, request: Request) -> Response:
        values = self.validated(StatusReportDraftSerializer)
        project = self.editable_project(values["project"])
        return self._read(report_services.status_report_draft(project=project, by=request.user, week_start=values.get("week_start")))

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        report = self.editable()
        values = self.validated(StatusReportUpdateSerializer, partial=True)
        require_version(report, values["version"])
        updated = report_services.status_report_update(
            report=report, by=request.user, expected_version=values["version"], subject=values.get("subject", report.subject),
            body=values.get("body", report.body),
        )  # fmt: skip
        return self._read(updated)

    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        report = self.editable()
        values = self.validated(StatusReportSendSerializer)
        return self._read(report_services.status_report_send(report=report, contact=values["contact"], by=request.user))
