"""The product catalogue: products, their modules, versions, features and prices.

Items are retired, never deleted, so past quotes and contracts keep pointing at what was sold.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import BilingualName, TimeStamped
from touchpoint.core.money import amount_field, currency_field, percent_field


class RequirementArea(BilingualName):
    """The taxonomy requirement items and product features are filed under (admin-editable)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("requirement area")
        verbose_name_plural = _("requirement areas")
        ordering = ["order", "id"]


class Retirable(models.Model):
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def retire(self) -> None:
        self.retired_at = timezone.now()


ON_SALE = Q(retired_at__isnull=True)


class Product(BilingualName, TimeStamped, Retirable):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    # Implementation and services are sold by the person-day at this rate.
    day_rate = amount_field(_("implementation day rate"))
    # Annual maintenance, as a percentage of the licence price.
    maintenance_percent = percent_field(_("annual maintenance, percent of licence"), default=15)
    currency = currency_field()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return BilingualName.__str__(self)


class ProductVersion(Retirable):
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="versions")
    number = models.CharField(_("version"), max_length=20)
    released_on = models.DateField(_("release date"))
    support_ends_on = models.DateField(_("end of support"), null=True, blank=True)
    notes = models.TextField(_("release notes"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("product version")
        verbose_name_plural = _("product versions")
        ordering = ["product", "-released_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["product", "number"], name="product_version_unique")]

    def __str__(self) -> str:
        return f"{self.product} {self.number}"


class Module(BilingualName, TimeStamped, Retirable):
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="modules")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    # A core module comes with every sale of the product.
    is_core = models.BooleanField(_("core module"), default=False)
    # Requirement areas the module's features serve, kept in step with its features for ranking.
    areas = models.ManyToManyField(RequirementArea, verbose_name=_("requirement areas"), blank=True, related_name="modules")

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["product", "code"]

    def __str__(self) -> str:
        return BilingualName.__str__(self)


class Feature(Retirable):
    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="features")
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    areas = models.ManyToManyField(RequirementArea, verbose_name=_("requirement areas"), related_name="features")

    class Meta:
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        ordering = ["module", "id"]

    def __str__(self) -> str:
        return self.name


class LicenceType(models.TextChoices):
    PERPETUAL = "perpetual", _("Perpetual licence")
    YEARLY = "yearly", _("Yearly subscription")
    PER_SEAT = "per_seat", _("Per seat")
    PER_BRANCH = "per_branch", _("Per branch")


class ModulePrice(models.Model):
    """A module's list price for one licence type, valid from a date; the newest valid row applies."""

    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="prices")
    licence_type = models.CharField(_("licence type"), max_length=12, choices=LicenceType.choices)
    list_price = amount_field(_("list price"))
    currency = currency_field()
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("list price")
        verbose_name_plural = _("list prices")
        ordering = ["module", "licence_type", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["module", "licence_type", "valid_from"], name="module_price_unique")
        ]

    def __str__(self) -> str:
        return f"{self.module} · {self.get_licence_type_display()} · {self.list_price}"
