"""API for the plan: tasks (with what they wait for and the requirements they deliver) and milestones
(their acceptance, and the acceptance certificate to sign)."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
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
    ScopedListField,
    ScopedRelatedField,
    VersionedUpdateSerializer,
    WhitelistOrdering,
    filter_parameters,
)
from touchpoint.delivery import access, selectors
from touchpoint.delivery.api.shared import (
    NameField,
    PatternChoiceField,
    ProjectPartViewSet,
    WithinField,
    download_responses,
    file_answer,
    id_field,
    list_values,
    refusal,
    require_version,
    validated_within,
    visible_milestones,
    visible_phases,
    visible_tasks,
)
from touchpoint.delivery.certificates import acceptance_certificate_pdf
from touchpoint.delivery.models import OPEN_TASK, Milestone, MilestoneStatus, Phase, Project, Task, TaskStatus
from touchpoint.delivery.services import plan as plan_services
from touchpoint.org.access import visible_users
from touchpoint.org.models import User
from touchpoint.sales.models import DeliveryEvent

REQUIREMENT_KEYS = serializers.ListField(
    child=serializers.IntegerField(min_value=0, max_value=2_147_483_647), max_length=200, required=False,
    help_text=gettext_lazy("Ids of the contract's requirements (its scope snapshot) the task delivers."),
)  # fmt: skip

# --- Tasks ----------------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    phase_name = NameField(source="phase", allow_null=True)
    assignee_name = NameField(source="assignee", allow_null=True)
    depends_on: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                         help_text=gettext_lazy("Ids of the tasks it waits for."))  # fmt: skip
    requirements = serializers.SerializerMethodField()
    late = serializers.SerializerMethodField(help_text=gettext_lazy("Still open after its end date."))

    class Meta:
        model = Task
        fields = ["id", "project", "project_number", "phase", "phase_name", "order", "name", "description", "assignee",
                  "assignee_name", "start_on", "end_on", "estimate_hours", "status", "done_on", "late", "depends_on",
                  "requirements", "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), help_text=REQUIREMENT_KEYS.help_text))
    def get_requirements(self, task: Task) -> list[int]:
        return sorted(link.requirement_key for link in task.requirement_links.all())

    def get_late(self, task: Task) -> bool:
        return task.status in OPEN_TASK and task.end_on < timezone.localdate()


class TaskCreateSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project)
    name = serializers.CharField(max_length=160)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    phase = ScopedRelatedField(visible=visible_phases, model=Phase, required=False, allow_null=True,
                               help_text=gettext_lazy("A phase of the same project."))  # fmt: skip
    assignee = ScopedRelatedField(visible=visible_users, model=User, required=False, allow_null=True,
                                  help_text=gettext_lazy("Joins the team as an engineer if not on it yet."))  # fmt: skip
    start_on = serializers.DateField()
    end_on = serializers.DateField(help_text=gettext_lazy("Not before the start."))
    estimate_hours = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0, required=False, default=Decimal(0))
    depends_on = ScopedListField(visible=visible_tasks, max_length=100, required=False, default=list,
                                 help_text=gettext_lazy("Ids of tasks of the same project it waits for."))  # fmt: skip
    requirements = REQUIREMENT_KEYS


class TaskUpdateSerializer(VersionedUpdateSerializer):
    name = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    phase = ScopedRelatedField(visible=visible_phases, model=Phase, required=False, allow_null=True)
    assignee = ScopedRelatedField(visible=visible_users, model=User, required=False, allow_null=True)
    start_on = serializers.DateField(required=False)
    end_on = serializers.DateField(required=False)
    estimate_hours = serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0, required=False)


class TaskStatusSerializer(serializers.Serializer):
    # A pattern: the choice set is the task's own `status`, whose enum is documented on Task.
    status = PatternChoiceField(choices=TaskStatus.choices, help_text=gettext_lazy("The status to move to."))


class TaskDependenciesSerializer(serializers.Serializer):
    depends_on = ScopedListField(visible=visible_tasks, max_length=100,
                                 help_text=gettext_lazy("All the tasks it waits for, replacing the list; [] for none."))  # fmt: skip


class TaskRequirementsSerializer(serializers.Serializer):
    requirements = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=2_147_483_647), max_length=200,
                                         help_text=gettext_lazy("All the requirement ids it delivers, replacing the list."))  # fmt: skip


TASK_FILTERS = {
    "project": QueryFilter("project_id", id_field(), gettext_lazy("Project id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=TaskStatus.choices)),
    "assignee": QueryFilter("assignee_id", id_field(), gettext_lazy("The assignee's user id.")),
    "mine": QueryFilter(
        "mine", serializers.BooleanField(),
        gettext_lazy("true: your tasks on running projects, soonest end first; open ones unless a status is given."),
    ),  # fmt: skip
}
TASK_ORDERING = ["start_on", "end_on", "status"]


def _task_step(summary: Any, request: Any = None, errors: Any = WRITE_ERRORS) -> Any:
    return extend_schema(summary=summary, request=request, responses={200: TaskSerializer, **errors})


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List tasks of a project, or your own"),
                       parameters=filter_parameters(TASK_FILTERS, TASK_ORDERING),
                       responses={200: TaskSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a task"), responses={200: TaskSerializer, **READ_ERRORS}),
    create=extend_schema(summary=gettext_lazy("Plan a task"), request=TaskCreateSerializer,
                         responses={201: TaskSerializer, **WRITE_ERRORS}),  # fmt: skip
    partial_update=_task_step(gettext_lazy("Change a task"), TaskUpdateSerializer, EDIT_ERRORS),
    set_status=_task_step(gettext_lazy("Start, finish, block, reopen or cancel a task"), TaskStatusSerializer),
    dependencies=_task_step(gettext_lazy("Set the tasks a task waits for"), TaskDependenciesSerializer),
    requirements=_task_step(gettext_lazy("Set the contract's requirements a task delivers"), TaskRequirementsSerializer),
)
class TaskViewSet(ProjectPartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Tasks of the projects you may see."""

    serializer_class = TaskSerializer
    filter_backends = [WhitelistOrdering]  # the filters are applied in get_queryset, "mine" by the selector
    ordering_fields = TASK_ORDERING
    ordering = None  # the plan's order, or soonest end first for your own

    def get_queryset(self) -> QuerySet[Task]:
        user = self.request.user
        if self.action != "list":
            return visible_tasks(user).select_related("project", "phase", "assignee").prefetch_related("depends_on", "requirement_links")
        values = list_values(self.request, TASK_FILTERS)
        if values.get("mine"):
            tasks = selectors.my_tasks(user, include_done="status" in values).filter(
                project__in=access.visible_projects(user).values("pk")
            )
        else:
            tasks = visible_tasks(user)
        for name, lookup in (("project", "project_id"), ("status", "status"), ("assignee", "assignee_id")):
            if name in values:
                tasks = tasks.filter(**{lookup: values[name]})
        return tasks.select_related("project", "phase", "assignee").prefetch_related("depends_on", "requirement_links")

    def _read(self, task: Task, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            Task.objects.select_related("project", "phase", "assignee").prefetch_related("depends_on", "requirement_links").get(pk=task.pk)
        )
        return Response(TaskSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(TaskCreateSerializer)
        project = self.editable_project(values.pop("project"))
        values["requirement_keys"] = values.pop("requirements", [])
        task = plan_services.task_create(project=project, by=request.user, **values)
        return self._read(task, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        task = self.editable()
        values = self.validated(TaskUpdateSerializer, partial=True)
        version = values.pop("version")
        require_version(task, version)
        return self._read(plan_services.task_update(task=task, by=request.user, expected_version=version, **values))

    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        self.require(access.can_work_on_task(request.user, task), refusal(task.project))
        values = self.validated(TaskStatusSerializer)
        return self._read(plan_services.task_set_status(task=task, to=values["status"], by=request.user))

    @action(detail=True, methods=["post"])
    def dependencies(self, request: Request, pk: str | None = None) -> Response:
        task = self.editable()
        values = self.validated(TaskDependenciesSerializer)
        plan_services.task_dependencies_set(task=task, depends_on=values["depends_on"], by=request.user)
        return self._read(task)

    @action(detail=True, methods=["post"])
    def requirements(self, request: Request, pk: str | None = None) -> Response:
        task = self.editable()
        values = self.validated(TaskRequirementsSerializer)
        plan_services.task_requirements_set(task=task, requirement_keys=values["requirements"], by=request.user)
        return self._read(task)


# --- Milestones -----------------------------------------------------------------------------------


class ProjectMilestoneSerializer(serializers.ModelSerializer):
    project_number = serializers.CharField(source="project.number", read_only=True)
    phase_name = NameField(source="phase", allow_null=True)
    # A pattern: the sales app documents these events as TriggerEventEnum; blank stays documented as blank.
    delivery_event = PatternChoiceField(
        choices=DeliveryEvent.choices, allow_blank=True, read_only=True,
        help_text=gettext_lazy("Fired on the contract when accepted: its payment milestones fall due."),
    )  # fmt: skip
    accepted_by_name = NameField(source="accepted_by", allow_null=True)
    payments_due: Any = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text=gettext_lazy("The contract's payment milestones its acceptance made due."),
    )  # fmt: skip
    late = serializers.SerializerMethodField(help_text=gettext_lazy("Still open after its due date."))

    class Meta:
        model = Milestone
        fields = ["id", "project", "project_number", "phase", "phase_name", "name", "name_en", "due_on", "delivery_event",
                  "status", "late", "accepted_on", "accepted_at", "accepted_by", "accepted_by_name", "payments_due",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_late(self, milestone: Milestone) -> bool:
        return not milestone.is_accepted and milestone.due_on < timezone.localdate()


class ProjectMilestoneCreateSerializer(serializers.Serializer):
    project = ScopedRelatedField(visible=access.visible_projects, model=Project)
    name = serializers.CharField(max_length=80)
    name_en = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    due_on = serializers.DateField()
    delivery_event = PatternChoiceField(choices=DeliveryEvent.choices, required=False, allow_blank=True, default="",
                                        help_text=gettext_lazy("Fired on the contract when accepted."))  # fmt: skip
    phase = ScopedRelatedField(visible=visible_phases, model=Phase, required=False, allow_null=True,
                               help_text=gettext_lazy("A phase of the same project."))  # fmt: skip


def _milestone_phases(context: dict[str, Any]) -> QuerySet[Phase]:
    return Phase.objects.filter(project_id=context["milestone"].project_id)


class ProjectMilestoneUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    name_en = serializers.CharField(max_length=80, required=False, allow_blank=True)
    due_on = serializers.DateField(required=False)
    delivery_event = PatternChoiceField(choices=DeliveryEvent.choices, required=False, allow_blank=True)
    phase = WithinField(rows=_milestone_phases, model=Phase, required=False, allow_null=True,
                        help_text=gettext_lazy("A phase of the milestone's project."))  # fmt: skip


class MilestoneAcceptSerializer(serializers.Serializer):
    accepted_on = serializers.DateField(required=False, allow_null=True, help_text=gettext_lazy("Today when left out; not in the future."))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


MILESTONE_FILTERS = {
    "project": QueryFilter("project_id", id_field(), gettext_lazy("Project id.")),
    "status": QueryFilter("status", serializers.ChoiceField(choices=MilestoneStatus.choices)),
}
MILESTONE_ORDERING = ["due_on"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List milestones"), parameters=filter_parameters(MILESTONE_FILTERS, MILESTONE_ORDERING),
                       responses={200: ProjectMilestoneSerializer(many=True), **LIST_ERRORS}),  # fmt: skip
    retrieve=extend_schema(summary=gettext_lazy("Get a milestone"), responses={200: ProjectMilestoneSerializer, **READ_ERRORS}),
    create=extend_schema(summary=gettext_lazy("Add a milestone to a project"), request=ProjectMilestoneCreateSerializer,
                         responses={201: ProjectMilestoneSerializer, **WRITE_ERRORS}),  # fmt: skip
    partial_update=extend_schema(summary=gettext_lazy("Change an open milestone"), request=ProjectMilestoneUpdateSerializer,
                                 responses={200: ProjectMilestoneSerializer, **WRITE_ERRORS}),  # fmt: skip
    accept=extend_schema(
        summary=gettext_lazy("Record the customer's acceptance of a milestone"),
        description=gettext_lazy("Fires its delivery event on the contract; accepting go-live starts the handover."),
        request=MilestoneAcceptSerializer, responses={200: ProjectMilestoneSerializer, **WRITE_ERRORS},
    ),  # fmt: skip
    certificate=extend_schema(
        summary=gettext_lazy("The acceptance certificate of a milestone, as a PDF for the customer to sign"),
        responses=download_responses("application/pdf", gettext_lazy("The certificate, in Chinese, A4.")),
    ),  # fmt: skip
)
class MilestoneViewSet(ProjectPartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Milestones of the projects you may see."""

    serializer_class = ProjectMilestoneSerializer
    query_filters = MILESTONE_FILTERS
    ordering_fields = MILESTONE_ORDERING
    ordering = ["due_on", "pk"]

    def get_queryset(self) -> QuerySet[Milestone]:
        return visible_milestones(self.request.user).select_related("project", "phase", "accepted_by").prefetch_related("payments_due")

    def _read(self, milestone: Milestone, code: int = status.HTTP_200_OK) -> Response:
        fresh = Milestone.objects.select_related("project", "phase", "accepted_by").prefetch_related("payments_due").get(pk=milestone.pk)
        return Response(ProjectMilestoneSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request: Request) -> Response:
        values = self.validated(ProjectMilestoneCreateSerializer)
        project = self.editable_project(values.pop("project"))
        return self._read(plan_services.milestone_create(project=project, by=request.user, **values), status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.editable()
        values = validated_within(self, ProjectMilestoneUpdateSerializer, partial=True, milestone=milestone)
        return self._read(plan_services.milestone_update(milestone=milestone, by=request.user, **values))

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.editable()
        values = self.validated(MilestoneAcceptSerializer)
        return self._read(plan_services.milestone_accept(milestone=milestone, by=request.user, **values))

    @action(detail=True, methods=["get"])
    def certificate(self, request: Request, pk: str | None = None) -> Any:
        milestone = self.get_object()
        pdf = acceptance_certificate_pdf(milestone)
        return file_answer(pdf, name=f"{milestone.project.number}-acceptance-{milestone.pk}.pdf", content_type="application/pdf")
