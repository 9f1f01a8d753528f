"""Daily rollups of the maintenance centre: what the flow monitor and the service reports read instead
of scanning millions of requests and handoffs.

Every rollup row is one local day (Asia/Shanghai) × a handful of keys, with counts and sums. Durations
also go into log-scale histograms (see `touchpoint.insights.histogram`): a median over any period
is read from the summed buckets, within the error stated there. The rows of a day are always
rewritten whole by `touchpoint.insights.rollups`, so a recompute is idempotent.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from touchpoint.org.models import Department
from touchpoint.sales.models import Product


class HandoffDay(models.Model):
    """Moves between departments on a day: how many, and the seconds spent in the department left."""

    day = models.DateField()
    from_department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    to_department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    seconds = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("handoffs per day")
        constraints = [models.UniqueConstraint(fields=["day", "from_department", "to_department"], name="insights_handoff_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.from_department_id} → {self.to_department_id}: {self.count}"


class DepartmentTimeDay(models.Model):
    """Stays in a department that ended on a day (the request moved on), as a histogram of their lengths."""

    day = models.DateField()
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    seconds = models.BigIntegerField(default=0)
    # {"bucket": count}; only the buckets that hold something.
    buckets = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("time in department per day")
        constraints = [models.UniqueConstraint(fields=["day", "department"], name="insights_department_time_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}: {self.count}"


class RequestDay(models.Model):
    """Requests by channel, category, product and severity: opened on the day, first answered on the day,
    and resolved on the day (with their SLA outcome, hops and durations)."""

    day = models.DateField()
    channel = models.CharField(max_length=10)
    category = models.CharField(max_length=14)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(max_length=2)
    opened = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    response_seconds = models.BigIntegerField(default=0)
    response_breached = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)
    sla_met = models.PositiveIntegerField(default=0)
    sla_breached = models.PositiveIntegerField(default=0)
    hops = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("requests per day")
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "category", "product", "severity"], name="insights_request_day"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["day"], name="insights_request_day_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.category} {self.severity}: {self.opened}"


class Measure(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class DurationDay(models.Model):
    """First responses and resolutions on a day by severity, with a histogram of how long they took
    from the moment the request was logged (wall-clock time)."""

    day = models.DateField()
    severity = models.CharField(max_length=2)
    measure = models.CharField(max_length=10, choices=Measure.choices)
    count = models.PositiveIntegerField(default=0)
    seconds = models.BigIntegerField(default=0)
    buckets = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("durations per day")
        constraints = [models.UniqueConstraint(fields=["day", "severity", "measure"], name="insights_duration_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.severity} {self.measure}: {self.count}"


class EscalationDay(models.Model):
    """Escalations raised on a day, by the department the request sits in and the reason. A request
    first found stuck is its level-1 'stuck' escalation."""

    day = models.DateField()
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("escalations per day")
        constraints = [
            models.UniqueConstraint(fields=["day", "department", "reason", "level"], name="insights_escalation_day"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.day} {self.reason} L{self.level}: {self.count}"


class AgentDay(models.Model):
    """Requests resolved on a day by the person they were assigned to."""

    day = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("resolved per agent per day")
        constraints = [models.UniqueConstraint(fields=["day", "user"], name="insights_agent_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id}: {self.resolved}"


class Watermark(models.Model):
    """How far the incremental rollup has read each source: the last row id, or the last change time."""

    key = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollup watermark")

    def __str__(self) -> str:
        return self.key
