"""Satisfaction (满意度): a CSAT survey on each resolved request and an NPS survey per customer
contact each quarter. A survey is answered once; a low score opens a follow-up for the lead."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import TimeStamped
from touchpoint.customers.models import Contact, Customer
from touchpoint.service.models.requests import ServiceRequest

CSAT_LOW = 2  # a CSAT at or below this opens a follow-up
NPS_LOW = 6  # an NPS at or below this (a detractor) does too


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("CSAT")
    NPS = "nps", _("NPS")


class Survey(TimeStamped):
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="surveys")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")  # fmt: skip
    request = models.ForeignKey(ServiceRequest, verbose_name=_("service request"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="surveys")  # fmt: skip
    period = models.CharField(_("quarter"), max_length=7, blank=True)  # "2026Q4", NPS only
    sent_at = models.DateTimeField(_("sent at"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=5000, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # A portal user when answered in the portal; empty when answered through the emailed link.
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    followup = models.ForeignKey("touchpoints.FollowUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=Q(kind="csat"), name="survey_csat_once_per_request"),
            models.UniqueConstraint(fields=["contact", "period"], condition=Q(kind="nps"), name="survey_nps_once_per_quarter"),
        ]
        indexes = [models.Index(fields=["customer", "kind", "-sent_at"], name="survey_customer")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.customer_id} {self.period or self.request_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def max_score(self) -> int:
        return 5 if self.kind == SurveyKind.CSAT else 10

    @property
    def min_score(self) -> int:
        return 1 if self.kind == SurveyKind.CSAT else 0

    @property
    def is_low(self) -> bool:
        if self.score is None:
            return False
        return self.score <= (CSAT_LOW if self.kind == SurveyKind.CSAT else NPS_LOW)
