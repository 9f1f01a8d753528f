"""Each customer's personalised requirements (个性化需求), per opportunity, and reusable templates."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import TimeStamped
from touchpoint.customers.models import Contact, Customer
from touchpoint.sales.models.catalogue import Module, RequirementArea
from touchpoint.sales.models.pipeline import Opportunity


class Priority(models.TextChoices):
    MUST = "must", _("Must have")
    SHOULD = "should", _("Should have")
    COULD = "could", _("Could have")


class Coverage(models.TextChoices):
    STANDARD = "standard", _("Standard module")
    CONFIGURABLE = "configurable", _("Configurable")
    CUSTOM = "custom", _("Custom development")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    UNASSESSED = "", _("Not assessed yet")


def effort_field() -> models.DecimalField:
    return models.DecimalField(
        _("custom effort (person-days)"), max_digits=7, decimal_places=1, default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )  # fmt: skip


class Requirement(TimeStamped):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="requirements")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(RequirementArea, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"), max_length=2000)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.SHOULD)
    asked_by = models.ForeignKey(
        Contact, verbose_name=_("asked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    coverage = models.CharField(_("coverage"), max_length=12, choices=Coverage.choices, blank=True)
    custom_effort_days = effort_field()
    # Traceability: the modules that cover it (quote lines link back to requirements).
    modules = models.ManyToManyField(Module, verbose_name=_("covered by modules"), blank=True, related_name="+")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["opportunity", "order", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class RequirementTemplate(TimeStamped):
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("requirement template")
        verbose_name_plural = _("requirement templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RequirementTemplateItem(models.Model):
    template = models.ForeignKey(RequirementTemplate, on_delete=models.CASCADE, related_name="items")
    area = models.ForeignKey(RequirementArea, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"), max_length=2000)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.SHOULD)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("template item")
        verbose_name_plural = _("template items")
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.description[:60]
