"""Projects, the templates they start from, and the people on them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import BilingualName, TimeStamped, Versioned
from touchpoint.core.money import amount_field
from touchpoint.customers.models import Contact, Customer
from touchpoint.sales.models import Contract, DeliveryEvent, Product


class ProjectTemplate(BilingualName, TimeStamped):
    """The phases, tasks and milestones a new project starts with, chosen by the product sold."""

    products = models.ManyToManyField(Product, verbose_name=_("products"), blank=True, related_name="+")
    is_default = models.BooleanField(_("default"), default=False, help_text=_("Used when no template names the product."))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("project template")
        verbose_name_plural = _("project templates")
        ordering = ["-is_default", "name"]


class TemplatePhase(BilingualName):
    template = models.ForeignKey(ProjectTemplate, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    duration_days = models.PositiveSmallIntegerField(_("duration (days)"), default=10)
    # The phase ends with a milestone when it is named; its delivery event makes payment milestones due.
    milestone_name = models.CharField(_("milestone"), max_length=80, blank=True)
    milestone_name_en = models.CharField(_("milestone (English)"), max_length=80, blank=True)
    milestone_event = models.CharField(_("delivery event"), max_length=24, choices=DeliveryEvent.choices, blank=True)
    # One task per line; "name | hours" gives an estimate.
    tasks = models.TextField(_("tasks"), max_length=4000, blank=True, help_text=_("One task per line; “name | hours” sets the estimate."))

    @property
    def milestone_label(self) -> str:
        """The closing milestone's name in the reader's language."""
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return self.milestone_name_en if english and self.milestone_name_en else self.milestone_name

    class Meta:
        verbose_name = _("template phase")
        verbose_name_plural = _("template phases")
        ordering = ["template", "order", "id"]


class ProjectStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    HANDOVER = "handover", _("Handing over")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


RUNNING = (ProjectStatus.PLANNING, ProjectStatus.IN_PROGRESS, ProjectStatus.ON_HOLD, ProjectStatus.HANDOVER)


class Health(models.TextChoices):
    GREEN = "green", _("On track")
    AMBER = "amber", _("At risk")
    RED = "red", _("Off track")


class Project(TimeStamped, Versioned):
    number = models.CharField(_("number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=160)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="projects")
    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="projects")
    template = models.ForeignKey(
        ProjectTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("project manager"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="managed_projects",
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNING)
    start_on = models.DateField(_("start"))
    planned_end_on = models.DateField(_("planned end"))
    # The end the open tasks now point to; the gap to the planned end is the schedule slip.
    forecast_end_on = models.DateField(_("forecast end"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    health = models.CharField(_("health"), max_length=5, choices=Health.choices, default=Health.GREEN, editable=False)
    # Why: [{"code": "slip", "days": 12}, {"code": "overdue_tasks", "count": 3}, {"code": "risks", "count": 1}]
    health_reasons = models.JSONField(_("health reasons"), default=list, blank=True, editable=False)
    health_at = models.DateTimeField(null=True, blank=True, editable=False)
    hourly_cost = amount_field(_("delivery cost per hour"))
    description = models.TextField(_("description"), max_length=5000, blank=True)

    history = HistoricalRecords(excluded_fields=["health", "health_reasons", "health_at", "forecast_end_on", "updated_at"])

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-start_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_end_on__gte=models.F("start_on")), name="project_end_after_start"),
        ]
        indexes = [
            models.Index(fields=["customer", "-start_on"], name="project_customer"),
            models.Index(fields=["manager", "status", "-start_on"], name="project_manager"),
            models.Index(fields=["status", "health", "-start_on"], name="project_status_health"),
            models.Index(fields=["contract"], name="project_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def is_archived(self) -> bool:
        """Closed or cancelled: its plan, documents and handover are read-only from now on."""
        return not self.is_running


class TeamRole(models.TextChoices):
    MANAGER = "manager", _("Project manager")
    ENGINEER = "engineer", _("Engineer")
    SALES = "sales", _("Sales rep")
    FINANCE = "finance", _("Finance officer")


class ProjectMember(models.Model):
    """Someone on the project team. While the project runs they see the customer's records as the
    account team does."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="project_roles")
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("project team member")
        verbose_name_plural = _("project team")
        ordering = ["project", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="project_member_unique")]
        indexes = [models.Index(fields=["user", "project"], name="project_member_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class CustomerRole(models.TextChoices):
    SPONSOR = "sponsor", _("Project sponsor")
    PROJECT_LEAD = "project_lead", _("Customer project lead")
    IT = "it", _("IT contact")
    OPERATIONS = "operations", _("Operations contact")
    BUSINESS = "business", _("Business user")
    ACCEPTANCE = "acceptance", _("Signs acceptance")


class ProjectContact(models.Model):
    """A person at the customer who takes part in the project, and in what role."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="customer_contacts")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=12, choices=CustomerRole.choices)

    class Meta:
        verbose_name = _("customer-side contact")
        verbose_name_plural = _("customer-side contacts")
        ordering = ["project", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "contact", "role"], name="project_contact_unique")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"


class DeliverySettings(models.Model):
    """One row (pk=1): what an hour of delivery costs by default, and the health thresholds."""

    hourly_cost = amount_field(_("delivery cost per hour"), default=300)
    red_slip_days = models.PositiveSmallIntegerField(_("slip that turns a project red (days)"), default=10)
    red_overdue_tasks = models.PositiveSmallIntegerField(_("overdue tasks that turn a project red"), default=3)
    hours_per_day = models.DecimalField(_("working hours per day"), max_digits=4, decimal_places=2, default=8)

    class Meta:
        verbose_name = _("delivery settings")
        verbose_name_plural = _("delivery settings")

    def __str__(self) -> str:
        return "delivery settings"

    @classmethod
    def current(cls) -> "DeliverySettings":
        found, _created = cls.objects.get_or_create(pk=1)
        return found
