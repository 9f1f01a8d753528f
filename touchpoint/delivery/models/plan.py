"""The plan: phases, tasks with dependencies, milestones, and the requirements tasks deliver."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.delivery.models.projects import Project
from touchpoint.sales.models import DeliveryEvent, PaymentMilestone


def bilingual(name: str, name_en: str) -> str:
    return name_en if name_en and (get_language() or "").startswith("en") else name


class Phase(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["project", "order", "id"]

    def __str__(self) -> str:
        return bilingual(self.name, self.name_en)


class TaskStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TASK = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)


class Task(TimeStamped, Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="delivery_tasks",
    )  # fmt: skip
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"))
    estimate_hours = models.DecimalField(
        _("estimate (hours)"), max_digits=7, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.TODO)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    depends_on: "models.ManyToManyField[Task, TaskDependency]" = models.ManyToManyField(
        "self", verbose_name=_("depends on"), symmetrical=False, blank=True, through="TaskDependency",
        related_name="dependents",
    )  # fmt: skip

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["project", "start_on", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_on__gte=models.F("start_on")), name="task_end_after_start"),
        ]
        indexes = [
            # "My tasks": an engineer's open tasks by date, whatever the number of projects.
            models.Index(fields=["assignee", "end_on", "id"], name="task_assignee_open", condition=Q(status__in=OPEN_TASK)),
            models.Index(fields=["project", "start_on", "order"], name="task_project"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK


class TaskDependency(models.Model):
    """`task` cannot start before `depends_on` is done (finish-to-start)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    depends_on = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "depends_on"], name="task_dependency_unique"),
            models.CheckConstraint(condition=~Q(task=models.F("depends_on")), name="task_dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.depends_on_id}"


class TaskRequirement(models.Model):
    """A requirement of the contract's snapshot that a task delivers (the snapshot entry's id)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="requirement_links")
    requirement_key = models.PositiveIntegerField(_("requirement"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "requirement_key"], name="task_requirement_unique")]
        indexes = [models.Index(fields=["project", "requirement_key"], name="task_requirement_project")]

    def __str__(self) -> str:
        return f"{self.task_id} ← {self.requirement_key}"


class MilestoneStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")


class Milestone(TimeStamped):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), null=True, blank=True, on_delete=models.SET_NULL, related_name="milestones")
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    due_on = models.DateField(_("due"))
    # Accepting fires this delivery event on the contract: its payment milestones fall due.
    delivery_event = models.CharField(_("delivery event"), max_length=24, choices=DeliveryEvent.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.OPEN)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The payment milestones its acceptance made due, for the record.
    payments_due = models.ManyToManyField(PaymentMilestone, blank=True, related_name="+")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="delivery_milestone_due"),
            models.Index(fields=["project", "due_on"], name="delivery_milestone_project"),
        ]

    def __str__(self) -> str:
        return bilingual(self.name, self.name_en)

    @property
    def is_accepted(self) -> bool:
        return self.status == MilestoneStatus.ACCEPTED
