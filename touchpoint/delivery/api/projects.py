"""API for projects: list and read them with their team, customer-side contacts and figures; open one
for a contract; edit, staff and move it; its Gantt chart and requirement coverage."""

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
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
    ScopedRelatedField,
    ScopedViewMixin,
    VersionedUpdateSerializer,
    WhitelistOrdering,
    filter_parameters,
)
from touchpoint.customers.access import visible_contacts
from touchpoint.customers.models import Contact
from touchpoint.delivery import access, selectors
from touchpoint.delivery.api.shared import (
    NameField,
    PatternChoiceField,
    amount,
    id_field,
    list_values,
    not_found,
    path_id,
    path_parameter,
    refusal,
    require_version,
)
from touchpoint.delivery.gantt import gantt
from touchpoint.delivery.models import (
    CustomerRole,
    Health,
    Project,
    ProjectContact,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    TeamRole,
)
from touchpoint.delivery.services import handover as handover_services
from touchpoint.delivery.services import projects as project_services
from touchpoint.org.access import visible_users
from touchpoint.org.models import User
from touchpoint.sales.access import visible_contracts
from touchpoint.sales.models import Contract

# --- Reading ------------------------------------------------------------------------------------


class HealthReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("slip, overdue_tasks, late_milestones, high_issues or high_risks."))
    days = serializers.IntegerField(required=False, help_text=gettext_lazy("For a slip: days the forecast end is past the planned end."))
    count = serializers.IntegerField(required=False, help_text=gettext_lazy("For the others: how many."))


class ProjectMemberSerializer(serializers.ModelSerializer):
    user_name = NameField(source="user")

    class Meta:
        model = ProjectMember
        fields = ["id", "user", "user_name", "role", "added_at"]
        read_only_fields = fields


class ProjectContactSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)

    class Meta:
        model = ProjectContact
        fields = ["id", "contact", "contact_name", "role"]
        read_only_fields = fields


class ProjectFiguresSerializer(serializers.Serializer):
    tasks_total = serializers.IntegerField(help_text=gettext_lazy("Tasks not cancelled."))
    tasks_done = serializers.IntegerField()
    tasks_overdue = serializers.IntegerField()
    progress = serializers.IntegerField(help_text=gettext_lazy("Done tasks as a percentage of all tasks not cancelled."))
    estimate_hours = serializers.DecimalField(max_digits=None, decimal_places=1)
    hours = serializers.DecimalField(max_digits=None, decimal_places=2, help_text=gettext_lazy("Logged, rejected hours left out."))
    cost = amount(help_text=gettext_lazy("Hours times the project's cost per hour."))
    contract_amount = amount()
    cost_share = serializers.DecimalField(
        max_digits=None, decimal_places=1, allow_null=True,
        help_text=gettext_lazy("Cost as a percentage of the contract amount; null without one."),
    )  # fmt: skip


class ProjectSerializer(serializers.ModelSerializer):
    """One shape for lists and the detail, so that each choice set is documented once; the figures
    cost two queries a project and come with the detail only."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    manager_name = NameField(source="manager", allow_null=True)
    health = serializers.ChoiceField(choices=Health.choices, read_only=True,
                                     help_text=gettext_lazy("Recomputed daily and on every change."))  # fmt: skip
    health_reasons = HealthReasonSerializer(many=True, read_only=True, help_text=gettext_lazy("Why the health is not green."))
    team = ProjectMemberSerializer(source="members", many=True, read_only=True)
    customer_contacts = ProjectContactSerializer(many=True, read_only=True)
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "number", "name", "customer", "customer_name", "contract", "contract_number", "template", "manager",
                  "manager_name", "status", "health", "health_reasons", "start_on", "planned_end_on", "forecast_end_on",
                  "closed_at", "hourly_cost", "description", "version", "created_at", "updated_at", "team",
                  "customer_contacts", "figures"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ProjectFiguresSerializer(allow_null=True, help_text=gettext_lazy("Null in lists; the detail has them.")))
    def get_figures(self, project: Project) -> dict[str, Any] | None:
        if not self.context.get("figures"):
            return None
        return dict(ProjectFiguresSerializer(selectors.project_figures(project)).data)


class GanttBarSerializer(serializers.Serializer):
    kind = PatternChoiceField(choices=[("phase", gettext_lazy("phase")), ("task", gettext_lazy("task")),
                                       ("milestone", gettext_lazy("milestone"))])  # fmt: skip
    id = serializers.IntegerField(source="pk", help_text=gettext_lazy("The phase's, task's or milestone's id."))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    start = serializers.DateField()
    end = serializers.DateField()
    left = serializers.FloatField(help_text=gettext_lazy("Where the bar starts, in percent of the axis."))
    width = serializers.FloatField(help_text=gettext_lazy("How long it is, in percent of the axis."))
    status = serializers.CharField()
    status_label = serializers.CharField()
    assignee = serializers.CharField()
    late = serializers.BooleanField()
    critical = serializers.BooleanField(help_text=gettext_lazy("No slack: moving it moves the end of the project."))
    done = serializers.BooleanField()
    depth = serializers.IntegerField()
    depends_on = serializers.ListField(child=serializers.IntegerField(), help_text=gettext_lazy("Ids of the tasks it waits for."))


class GanttMonthSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=gettext_lazy("YYYY-MM."))  # type: ignore[assignment]  # a declared field
    left = serializers.FloatField()
    width = serializers.FloatField()


class GanttSerializer(serializers.Serializer):
    start = serializers.DateField(help_text=gettext_lazy("The Monday the axis starts on."))
    end = serializers.DateField(help_text=gettext_lazy("The Sunday it ends on."))
    rows = GanttBarSerializer(many=True)
    months = GanttMonthSerializer(many=True)
    today_left = serializers.FloatField(allow_null=True, help_text=gettext_lazy("Where today is; null when off the axis."))
    late_count = serializers.IntegerField()
    critical_count = serializers.IntegerField()


class CoverageTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    status = serializers.CharField()


class RequirementCoverageSerializer(serializers.Serializer):
    key = serializers.IntegerField(help_text=gettext_lazy("The requirement's id in the contract's scope."))
    area = serializers.CharField()
    description = serializers.CharField()
    priority = serializers.CharField()
    tasks = CoverageTaskSerializer(many=True, help_text=gettext_lazy("The tasks that deliver it, cancelled ones left out."))
    delivered = serializers.BooleanField(help_text=gettext_lazy("All its tasks are done."))
    accepted = serializers.BooleanField(help_text=gettext_lazy("Delivered, and the milestones of their phases accepted."))


# --- Writing -----------------------------------------------------------------------------------


class ProjectOpenSerializer(serializers.Serializer):
    contract = ScopedRelatedField(visible=visible_contracts, model=Contract,
                                  help_text=gettext_lazy("An active contract without a project."))  # fmt: skip
    template = serializers.PrimaryKeyRelatedField(queryset=ProjectTemplate.objects.filter(is_active=True), required=False,
                                                  allow_null=True,
                                                  help_text=gettext_lazy("Left out, the template of the product sold."))  # fmt: skip
    name = serializers.CharField(max_length=160, required=False, allow_blank=True, default="",
                                 help_text=gettext_lazy("Left out, the contract's title."))  # fmt: skip
    start_on = serializers.DateField(required=False, allow_null=True, help_text=gettext_lazy("Left out, the day the contract was signed."))
    manager = ScopedRelatedField(visible=visible_users, model=User, required=False, allow_null=True,
                                 help_text=gettext_lazy("Needs the right to name project managers."))  # fmt: skip


class ProjectUpdateSerializer(VersionedUpdateSerializer):
    name = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    start_on = serializers.DateField(required=False)
    planned_end_on = serializers.DateField(required=False)
    hourly_cost = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False)


class ProjectManagerSerializer(serializers.Serializer):
    manager = ScopedRelatedField(visible=visible_users, model=User)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=gettext_lazy("Needed when the project changes hands."))  # fmt: skip


class ProjectMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in ProjectStatus.choices if c[0] != ProjectStatus.CLOSED],
        help_text=gettext_lazy("Start, hold, resume, hand over or cancel; a project closes when its handover is signed."),
    )  # fmt: skip
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                   help_text=gettext_lazy("Needed to hold or cancel."))  # fmt: skip


class ProjectMemberAddSerializer(serializers.Serializer):
    user = ScopedRelatedField(visible=visible_users, model=User)
    role = serializers.ChoiceField(choices=[c for c in TeamRole.choices if c[0] != TeamRole.MANAGER],
                                   help_text=gettext_lazy("The project manager is named with the manager action."))  # fmt: skip


@extend_schema_serializer(component_name="ProjectContact")  # its role choices are the listed contact's, documented once
class ProjectContactAddSerializer(serializers.Serializer):
    contact = ScopedRelatedField(visible=visible_contacts, model=Contact, help_text=gettext_lazy("A contact of the project's customer."))
    role = serializers.ChoiceField(choices=CustomerRole.choices)


PROJECT_FILTERS = {
    "status": QueryFilter("status", serializers.ChoiceField(choices=[("running", gettext_lazy("Running")), *ProjectStatus.choices]),
                          gettext_lazy("A status, or running: any not yet closed or cancelled.")),  # fmt: skip
    "health": QueryFilter("health", serializers.ChoiceField(choices=Health.choices)),
    "manager": QueryFilter("manager_id", id_field(), gettext_lazy("The project manager's user id.")),
    "customer": QueryFilter("customer_id", id_field(), gettext_lazy("Customer id.")),
    "mine": QueryFilter("mine", serializers.BooleanField(), gettext_lazy("true: the projects you manage or are on the team of.")),
    "q": QueryFilter("q", serializers.CharField(max_length=100), gettext_lazy("Number, name or customer name.")),
}
PROJECT_ORDERING = ["start_on", "planned_end_on", "number", "health"]
MEMBER_ID = path_parameter("member_id", gettext_lazy("The team membership's id (`team[].id`)."))
LINK_ID = path_parameter("link_id", gettext_lazy("The customer-side contact's link id (`customer_contacts[].id`)."))


def with_people(projects: QuerySet[Project]) -> QuerySet[Project]:
    """With the team and the customer-side contacts, each in one query."""
    members = ProjectMember.objects.select_related("user").order_by("role", "id")
    contacts = ProjectContact.objects.select_related("contact").order_by("role", "id")
    return projects.prefetch_related(Prefetch("members", queryset=members), Prefetch("customer_contacts", queryset=contacts))


def _step(summary: Any, request: Any = None, errors: Any = WRITE_ERRORS, **extra: Any) -> Any:
    return extend_schema(summary=summary, request=request, responses={200: ProjectSerializer, **errors}, **extra)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List projects"), parameters=filter_parameters(PROJECT_FILTERS, PROJECT_ORDERING),
                       responses={200: ProjectSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a project with its team, customer-side contacts and figures"),
                           responses={200: ProjectSerializer, **READ_ERRORS}),  # fmt: skip
    create=extend_schema(summary=gettext_lazy("Open the implementation project of an active contract"), request=ProjectOpenSerializer,
                         responses={201: ProjectSerializer, **WRITE_ERRORS}),  # fmt: skip
    partial_update=_step(gettext_lazy("Change a project's name, description, dates or cost per hour"), ProjectUpdateSerializer,
                         EDIT_ERRORS),  # fmt: skip
    manager=_step(gettext_lazy("Name the project manager (a logged handoff)"), ProjectManagerSerializer),
    move=_step(gettext_lazy("Start, hold, resume, hand over or cancel a project"), ProjectMoveSerializer),
    team=_step(gettext_lazy("Put someone on the project team"), ProjectMemberAddSerializer),
    team_remove=_step(gettext_lazy("Take someone off the project team"), parameters=[MEMBER_ID]),
    contacts=_step(gettext_lazy("Add a customer-side contact in a role"), ProjectContactAddSerializer),
    contacts_remove=_step(gettext_lazy("Remove a customer-side contact"), parameters=[LINK_ID]),
    gantt_chart=extend_schema(summary=gettext_lazy("The project's Gantt chart, laid out"), responses={200: GanttSerializer, **READ_ERRORS}),
    coverage=extend_schema(summary=gettext_lazy("The contract's requirements against the tasks that deliver them"),
                           responses={200: RequirementCoverageSerializer(many=True), **READ_ERRORS}),  # fmt: skip
)
class ProjectViewSet(ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Implementation projects you may see."""

    serializer_class = ProjectSerializer
    filter_backends = [WhitelistOrdering]  # the filters go to the selector
    ordering_fields = PROJECT_ORDERING
    ordering = None  # the selector's: latest start first

    def get_queryset(self) -> QuerySet[Project]:
        user = self.request.user
        if self.action == "list":
            values = list_values(self.request, PROJECT_FILTERS)
            return with_people(selectors.project_list(
                user, status=values.get("status", ""), health=values.get("health", ""), manager_id=values.get("manager"),
                mine=values.get("mine", False), q=values.get("q", ""), customer_id=values.get("customer"),
            ))  # fmt: skip
        projects = access.visible_projects(user).select_related("customer", "manager", "contract")
        return with_people(projects) if self.action == "retrieve" else projects

    def _detail(self, project: Project, code: int = status.HTTP_200_OK) -> Response:
        """The project as it now stands after a write (by its id, which the write's access check let
        through: one who just took themselves off the team still gets the answer)."""
        fresh = with_people(Project.objects.select_related("customer", "manager", "contract")).get(pk=project.pk)
        return Response(ProjectSerializer(fresh, context={**self.get_serializer_context(), "figures": True}).data, status=code)

    def _editable(self) -> Project:
        project = self.get_object()
        self.require(access.can_edit_project(self.request.user, project), refusal(project))
        return project

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ProjectSerializer(self.get_object(), context={**self.get_serializer_context(), "figures": True}).data)

    def create(self, request: Request) -> Response:
        self.require(access.may_create_projects(request.user))
        values = self.validated(ProjectOpenSerializer)
        manager = values.pop("manager", None)
        with transaction.atomic():  # naming a manager the user may not name undoes the opening too
            project = project_services.project_open(by=request.user, **values)
            if manager is not None:
                self.require(access.can_assign_project(request.user, project))
                project_services.project_set_manager(project=project, manager=manager, by=request.user)
        return self._detail(project, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        project = self._editable()
        values = self.validated(ProjectUpdateSerializer, partial=True)
        version = values.pop("version")
        require_version(project, version)
        project_services.project_update(project=project, by=request.user, expected_version=version, **values)
        return self._detail(project)

    @action(detail=True, methods=["post"])
    def manager(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        self.require(access.can_assign_project(request.user, project), refusal(project))
        values = self.validated(ProjectManagerSerializer)
        project_services.project_set_manager(project=project, by=request.user, **values)
        return self._detail(project)

    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        project = self._editable()
        values = self.validated(ProjectMoveSerializer)
        if values["status"] == ProjectStatus.HANDOVER:
            # Handing over is the handover's own transition: it opens (or reopens) the handover record.
            handover_services.handover_open(project=project, by=request.user)
        else:
            project_services.project_move(project=project, to=values["status"], by=request.user, reason=values["reason"])
        return self._detail(project)

    @action(detail=True, methods=["post"])
    def team(self, request: Request, pk: str | None = None) -> Response:
        project = self._editable()
        values = self.validated(ProjectMemberAddSerializer)
        project_services.member_add(project=project, by=request.user, **values)
        return self._detail(project)

    @action(detail=True, methods=["delete"], url_path=r"team/(?P<member_id>[^/]+)")
    def team_remove(self, request: Request, pk: str | None = None, member_id: str = "") -> Response:
        project = self._editable()
        member = project.members.select_related("user").filter(pk=path_id(member_id)).first()
        if member is None:
            raise not_found()
        project_services.member_remove(project=project, user=member.user, by=request.user)
        return self._detail(project)

    @action(detail=True, methods=["post"])
    def contacts(self, request: Request, pk: str | None = None) -> Response:
        project = self._editable()
        values = self.validated(ProjectContactAddSerializer)
        project_services.contact_add(project=project, by=request.user, **values)
        return self._detail(project)

    @action(detail=True, methods=["delete"], url_path=r"contacts/(?P<link_id>[^/]+)")
    def contacts_remove(self, request: Request, pk: str | None = None, link_id: str = "") -> Response:
        project = self._editable()
        link = project.customer_contacts.filter(pk=path_id(link_id)).first()
        if link is None:
            raise not_found()
        link.project = project
        project_services.contact_remove(link=link, by=request.user)
        return self._detail(project)

    @action(detail=True, methods=["get"], url_path="gantt")
    def gantt_chart(self, request: Request, pk: str | None = None) -> Response:
        return Response(GanttSerializer(gantt(self.get_object())).data)

    @action(detail=True, methods=["get"])
    def coverage(self, request: Request, pk: str | None = None) -> Response:
        return Response(RequirementCoverageSerializer(selectors.requirement_coverage(self.get_object()), many=True).data)

