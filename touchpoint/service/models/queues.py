"""Where requests wait and who works them: queues per department and product, their agents, and the
rules that route a new request to a queue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import BilingualName, Channel, TimeStamped
from touchpoint.org.models import Department
from touchpoint.sales.models import Product


class QueueKind(models.TextChoices):
    L1 = "l1", _("Maintenance centre L1")
    L2 = "l2", _("Maintenance centre L2")
    ENGINEERING = "engineering", _("Engineering")
    SALES = "sales", _("Sales")
    FINANCE = "finance", _("Finance")


class Assignment(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    MANUAL = "manual", _("Manual")


class Queue(BilingualName, TimeStamped):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=QueueKind.choices)
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    # L2 queues serve one product; the others any.
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assignment = models.CharField(_("assignment"), max_length=14, choices=Assignment.choices, default=Assignment.LEAST_LOADED)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("queue lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["department__order", "kind", "code"]


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="queue_seats")
    # Empty: the agent takes any product.
    products = models.ManyToManyField(Product, verbose_name=_("products"), blank=True, related_name="+")
    is_active = models.BooleanField(_("taking requests"), default=True)
    # Round robin hands the next request to the seat that waited longest.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        constraints = [models.UniqueConstraint(fields=["queue", "user"], name="queue_member_once")]

    def __str__(self) -> str:
        return f"{self.queue} · {self.user}"


class RoutingRule(models.Model):
    """The first active rule, by order, whose filled-in conditions all match a new request picks its queue."""

    order = models.PositiveSmallIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=80)
    category = models.CharField(_("category"), max_length=14, blank=True)
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    customer_tier = models.CharField(_("customer tier"), max_length=10, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="rules")
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name
