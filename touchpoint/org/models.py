"""Users, departments, positions, teams and the role policy table."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Position(models.TextChoices):
    SALES_REP = "sales_rep", _("Sales rep")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    ENGINEER = "engineer", _("Implementation engineer")
    MAINTENANCE_AGENT = "maintenance_agent", _("Maintenance agent")
    MAINTENANCE_LEAD = "maintenance_lead", _("Maintenance lead")
    FINANCE = "finance", _("Finance officer")
    MARKETING = "marketing", _("Marketing specialist")
    EXECUTIVE = "executive", _("Executive")
    ADMIN = "admin", _("Administrator")


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    ASSIGN = "assign", _("Assign")


class Scope(models.IntegerChoices):
    NONE = 0, _("None")
    OWN = 10, _("Own")
    TEAM = 20, _("Team")
    DEPARTMENT = 30, _("Department")
    ALL = 40, _("All")


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)
    # The second rung of an escalation ladder.
    head = models.ForeignKey(
        "User", verbose_name=_("department head"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        help_text=_("Empty follows the browser."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def positions(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_positions_cache", None)
        if cached is None:
            cached = set(self.memberships.values_list("position", flat=True)) if self.pk else set()
            self._positions_cache = cached
        return cached


class Membership(models.Model):
    """A position a user holds in a department."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="memberships"
    )
    position = models.CharField(_("position"), max_length=32, choices=Position.choices)

    class Meta:
        verbose_name = _("position held")
        verbose_name_plural = _("positions held")
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "position"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_position_display()} · {self.department}"


class Team(models.Model):
    name = models.CharField(_("name"), max_length=60)
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="teams")
    lead = models.ForeignKey(
        User, verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), related_name="teams", blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["department__order", "name"]

    def __str__(self) -> str:
        return self.name


class PolicyRule(models.Model):
    """One cell of the policy table: what scope a position has for an action on an entity.

    Rows override the shipped defaults in `touchpoint.org.policy`.
    """

    position = models.CharField(_("position"), max_length=32, choices=Position.choices)
    entity = models.CharField(_("entity"), max_length=32)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    scope = models.PositiveSmallIntegerField(_("scope"), choices=Scope.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("policy rule")
        verbose_name_plural = _("policy rules")
        constraints = [
            models.UniqueConstraint(fields=["position", "entity", "action"], name="policy_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}/{self.entity}/{self.action}={self.scope}"
