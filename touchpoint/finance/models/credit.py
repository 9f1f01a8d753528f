"""Credit: each customer's limit, terms, rating, risk score and holds, and the credit policy."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.core.money import amount_field, currency_field, percent_field
from touchpoint.customers.models import Customer


class Rating(models.TextChoices):
    A = "A", _("A: pays on time")
    B = "B", _("B: occasionally late")
    C = "C", _("C: often late")
    D = "D", _("D: serious arrears")


class DunningLanguage(models.TextChoices):
    CHINESE = "zh-hans", "简体中文"
    ENGLISH = "en", "English"


class CreditProfile(TimeStamped, Versioned):
    """One per customer, made on first use. A limit of 0 means no limit has been set."""

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="credit_profile")
    credit_limit = amount_field(_("credit limit"))
    currency = currency_field()
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    # The rating the payment behaviour gives; a finance officer may override it with a reason.
    computed_rating = models.CharField(_("computed rating"), max_length=1, choices=Rating.choices, default=Rating.A)
    rating_override = models.CharField(_("rating override"), max_length=1, choices=Rating.choices, blank=True)
    rating_override_reason = models.CharField(_("override reason"), max_length=500, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    # What the score is made of: {"overdue_ratio": …, "avg_days_late": …, "disputes": …, signals…}.
    risk_factors = models.JSONField(_("risk factors"), default=dict, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    credit_hold = models.BooleanField(_("credit hold"), default=False)
    credit_hold_reason = models.CharField(_("credit hold reason"), max_length=500, blank=True)
    # Read by the service module: blocks non-critical work (upgrades), never a P1 fault.
    service_hold = models.BooleanField(_("service hold"), default=False)
    service_hold_reason = models.CharField(_("service hold reason"), max_length=500, blank=True)
    dunning_paused = models.BooleanField(_("dunning paused"), default=False)
    dunning_pause_reason = models.CharField(_("dunning pause reason"), max_length=500, blank=True)
    dunning_language = models.CharField(
        _("reminder language"), max_length=8, choices=DunningLanguage.choices, default=DunningLanguage.CHINESE
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "risk_factors", "scored_at"])

    class Meta:
        verbose_name = _("credit profile")
        verbose_name_plural = _("credit profiles")
        indexes = [models.Index(fields=["-risk_score"], name="credit_risk")]

    def __str__(self) -> str:
        return f"{self.customer} · {self.rating}"

    @property
    def rating(self) -> str:
        return self.rating_override or self.computed_rating

    def get_rating_display(self) -> str:
        return str(Rating(self.rating).label)


class CreditPolicy(models.Model):
    """The one row of credit settings an administrator edits: what exposure counts, when to warn and block."""

    include_unpaid_invoices = models.BooleanField(_("count unpaid invoices"), default=True)
    include_unbilled_contracts = models.BooleanField(_("count the unbilled rest of active contracts"), default=True)
    include_open_quotes = models.BooleanField(_("count open approved quotes"), default=True)
    warn_percent = percent_field(_("warn above (% of limit)"), default=80)
    # Any invoice overdue longer than this blocks new business, limit or not. 0 switches the rule off.
    block_overdue_days = models.PositiveSmallIntegerField(_("block when overdue longer than (days)"), default=90)
    high_risk_score = models.PositiveSmallIntegerField(_("high risk from score"), default=70)
    high_risk_requires_approval = models.BooleanField(_("high-risk quotes need approval"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policy")

    def __str__(self) -> str:
        return str(_("credit policy"))

    @classmethod
    def current(cls) -> "CreditPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class CreditOverride(TimeStamped):
    """A finance officer let a contract or quote through a credit block: who, why, and what the block said."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        "sales.Contract", verbose_name=_("contract"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quote = models.ForeignKey(
        "sales.Quote", verbose_name=_("quote"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    blocked_because = models.CharField(_("the block said"), max_length=500)
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("credit override")
        verbose_name_plural = _("credit overrides")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contract"], name="override_contract"),
            models.Index(fields=["quote"], name="override_quote"),
            models.Index(fields=["customer", "-created_at"], name="override_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.reason[:40]}"
