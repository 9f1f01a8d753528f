"""Leads, pipelines with their stages and allowed moves, opportunities and their stage history."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from touchpoint.core.models import BilingualName, SoftDeletable, TimeStamped, Versioned
from touchpoint.core.money import amount_field, currency_field
from touchpoint.customers.models import PROVINCES, Contact, Customer
from touchpoint.sales.models.catalogue import Product

LIVE = Q(deleted_at__isnull=True)


class LeadSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")
    TOUCHPOINT = "touchpoint", _("Touchpoint")
    CAMPAIGN = "campaign", _("Campaign")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    WORKING = "working", _("Working")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Lead(TimeStamped, SoftDeletable, Versioned):
    company_name = models.CharField(_("company"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    province = models.CharField(_("province"), max_length=10, blank=True, choices=[(p, p) for p in PROVINCES])
    city = models.CharField(_("city"), max_length=30, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_title = models.CharField(_("title"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=24, blank=True)
    email = models.EmailField(_("email"), max_length=120, blank=True)
    interest = models.TextField(_("what they asked about"), max_length=5000, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=LeadSource.choices, default=LeadSource.MANUAL)
    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="owned_leads",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    disqualify_reason = models.CharField(_("reason for disqualifying"), max_length=500, blank=True)
    # Where the lead came from (an inbound call or email) and what qualifying it produced.
    touchpoint = models.ForeignKey(
        "touchpoints.Touchpoint", verbose_name=_("touchpoint"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity", verbose_name=_("opportunity"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    # The submitter's address for the public form's rate limit; kept for abuse review only.
    submitted_from = models.GenericIPAddressField(null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = pgettext_lazy("sales", "lead")
        verbose_name_plural = pgettext_lazy("sales", "leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="lead_status_time", condition=LIVE),
            models.Index(fields=["owner", "status"], name="lead_owner_status", condition=LIVE),
            models.Index(fields=["submitted_from", "created_at"], name="lead_submitted_from"),
        ]

    def __str__(self) -> str:
        return self.company_name


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline")
        ]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name


class StageOutcome(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity outcome", "Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(BilingualName):
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=32)
    order = models.PositiveSmallIntegerField(_("order"))
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), validators=[MaxValueValidator(100)]
    )
    outcome = models.CharField(_("outcome"), max_length=4, choices=StageOutcome.choices, default=StageOutcome.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "order"]
        constraints = [models.UniqueConstraint(fields=["pipeline", "code"], name="stage_code_unique")]

    @property
    def is_closed(self) -> bool:
        return self.outcome != StageOutcome.OPEN


class StageTransition(models.Model):
    """One allowed move between two stages of a pipeline; any move not listed is refused."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.ForeignKey(Stage, verbose_name=_("from"), on_delete=models.CASCADE, related_name="moves_out")
    to_stage = models.ForeignKey(Stage, verbose_name=_("to"), on_delete=models.CASCADE, related_name="moves_in")

    class Meta:
        verbose_name = _("allowed stage move")
        verbose_name_plural = _("allowed stage moves")
        constraints = [
            models.UniqueConstraint(fields=["from_stage", "to_stage"], name="stage_transition_unique")
        ]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class LostReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Chose a competitor")
    FEATURES = "features", _("Missing features")
    BUDGET = "budget", _("No budget")
    TIMING = "timing", _("Project postponed or cancelled")
    RELATIONSHIP = "relationship", _("Relationship")
    OTHER = "other", _("Other")


class Opportunity(TimeStamped, SoftDeletable, Versioned):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities")
    title = models.CharField(_("title"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_opportunities"
    )
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    # The stage's default probability unless the owner sets another; the forecast weighs by it.
    probability = models.PositiveSmallIntegerField(_("probability (%)"), validators=[MaxValueValidator(100)])
    amount = amount_field(_("expected amount"))
    currency = currency_field()
    close_date = models.DateField(_("expected close date"))
    product = models.ForeignKey(
        Product, verbose_name=_("main product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    decision_process = models.TextField(_("decision process"), max_length=5000, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=16, choices=LostReason.choices, blank=True)
    lost_detail = models.CharField(_("lost reason, in words"), max_length=500, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["close_date", "id"]
        indexes = [
            models.Index(fields=["owner", "stage", "close_date"], name="opp_owner_stage", condition=LIVE),
            models.Index(fields=["stage", "close_date", "id"], name="opp_stage_close", condition=LIVE),
            models.Index(fields=["close_date", "id"], name="opp_close", condition=LIVE),
            models.Index(fields=["customer", "-created_at"], name="opp_customer"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weighted_amount(self) -> Decimal:
        return self.amount * self.probability / 100


class OpportunityRole(models.TextChoices):
    PRESALES = "presales", _("Pre-sales engineer")
    SALES = "sales", _("Sales rep")
    MANAGER = "manager", _("Sales manager")
    SOLUTION = "solution", _("Solution architect")
    FINANCE = "finance", _("Finance officer")


class OpportunityMember(models.Model):
    """The opportunity's account team besides its owner; members see and work the opportunity."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opportunity_roles")
    role = models.CharField(_("role"), max_length=12, choices=OpportunityRole.choices)

    class Meta:
        verbose_name = _("opportunity team member")
        verbose_name_plural = _("opportunity team")
        constraints = [models.UniqueConstraint(fields=["opportunity", "user"], name="opportunity_member_unique")]
        indexes = [models.Index(fields=["user", "opportunity"], name="opp_member_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class StageVisit(models.Model):
    """One stay of an opportunity in a stage: time in stage is `left_at - entered_at`."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_visits")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["opportunity", "entered_at", "id"]
        indexes = [models.Index(fields=["opportunity", "entered_at"], name="stage_visit_opp")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}@{self.stage_id}"
