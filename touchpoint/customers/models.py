"""Customers (companies), their contacts and account teams."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.identifiers import validate_credit_code, validate_landline, validate_mobile
from touchpoint.core.models import SoftDeletable, TimeStamped, Versioned


class CustomerType(models.TextChoices):
    SECURITIES = "securities", _("Securities firm")
    BRANCH = "branch", _("Branch")
    FUTURES = "futures", _("Futures company")
    FUND = "fund", _("Fund company")
    BANK = "bank", _("Bank")
    OTHER = "other", _("Other")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active customer")
    FORMER = "former", _("Former customer")


class SizeTier(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")


class CustomerSource(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    EXHIBITION = "exhibition", _("Exhibition")
    TENDER = "tender", _("Tender notice")
    WEBSITE = "website", _("Website")
    COLD_CALL = "cold_call", _("Cold call")
    EXISTING = "existing", _("Existing relationship")
    OTHER = "other", _("Other")


PROVINCES = [
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
]


LIVE = Q(deleted_at__isnull=True)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(TimeStamped, SoftDeletable, Versioned):
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    customer_type = models.CharField(_("type"), max_length=16, choices=CustomerType.choices)
    province = models.CharField(
        _("province"), max_length=10, blank=True, choices=[(p, p) for p in PROVINCES]
    )
    city = models.CharField(_("city"), max_length=30, blank=True)
    size_tier = models.CharField(_("size tier"), max_length=10, choices=SizeTier.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_customers"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
    )
    source = models.CharField(_("source"), max_length=16, choices=CustomerSource.choices, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    # Set when this customer was merged into another; its history then shows on that one's timeline.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, editable=False, on_delete=models.PROTECT,
        related_name="merged_from",
    )  # fmt: skip
    # Who answers for the customer's service relationship (the project manager while a project runs,
    # then the maintenance centre); it moves only through a logged handoff.
    service_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("service owner"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="served_customers",
    )  # fmt: skip
    service_department = models.ForeignKey(
        "org.Department", verbose_name=_("service department"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    # Stamped by every touchpoint so "no contact for N days" is one indexed range scan.
    last_touch_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "last_touch_at", "updated_at"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(deleted_at__isnull=True) & ~Q(credit_code=""),
                name="customer_credit_code_unique",
            ),
        ]
        # Lists only ever show live customers, so the list indexes leave deleted ones out: counts
        # and pages are then index-only scans.
        indexes = [
            models.Index(fields=["name", "id"], name="customer_live_name", condition=LIVE),
            models.Index(fields=["owner", "name", "id"], name="customer_owner_name", condition=LIVE),
            models.Index(fields=["status", "name", "id"], name="customer_status_name", condition=LIVE),
            models.Index(fields=["province", "name", "id"], name="customer_region_name", condition=LIVE),
            models.Index(fields=["customer_type", "name", "id"], name="customer_type_name", condition=LIVE),
            models.Index(fields=["-updated_at"], name="customer_updated", condition=LIVE),
            models.Index(fields=["last_touch_at"], name="customer_last_touch", condition=LIVE),
            models.Index(fields=["parent"], name="customer_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class AccountRole(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    PRESALES = "presales", _("Pre-sales engineer")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    ENGINEER = "engineer", _("Engineer")
    MAINTENANCE = "maintenance", _("Maintenance contact")
    FINANCE = "finance", _("Finance officer")


class AccountMember(models.Model):
    """A user on a customer's account team: grants 'own' scope on that customer's records."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="account_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_roles")
    role = models.CharField(_("role"), max_length=20, choices=AccountRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)
    # Empty for a standing member. "project:12" for someone who is on the team only while that
    # project runs: the membership goes when the project is handed over or closed.
    expires_with = models.CharField(max_length=40, blank=True, editable=False, db_default="")

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team")
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="account_member_unique")]
        indexes = [models.Index(fields=["user", "customer"], name="account_member_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    TECHNICAL = "technical", _("Technical contact")
    FINANCE = "finance", _("Finance contact")


class PreferredChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Face-to-face")


class ContactStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEFT = "left", _("Left the company")


class Contact(TimeStamped, SoftDeletable, Versioned):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(_("full name"), max_length=40)
    title = models.CharField(_("title"), max_length=40, blank=True)
    department_name = models.CharField(_("department"), max_length=40, blank=True)
    decision_role = models.CharField(_("decision role"), max_length=16, choices=DecisionRole.choices, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, validators=[validate_mobile])
    landline = models.CharField(_("landline"), max_length=24, blank=True, validators=[validate_landline])
    email = models.EmailField(_("email"), max_length=120, blank=True)
    email_alt = models.EmailField(_("other email"), max_length=120, blank=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=40, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=PreferredChannel.choices, blank=True
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ContactStatus.choices, default=ContactStatus.ACTIVE)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_text", "updated_at"])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["customer", "name"], name="contact_customer_name"),
            models.Index(fields=["mobile"], name="contact_mobile"),
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["email_alt"], name="contact_email_alt"),
            # A sender's address in another case (Zhang.Wei@… for zhang.wei@…): the mailbox's second look.
            models.Index(Upper("email"), name="contact_email_upper"),
            models.Index(Upper("email_alt"), name="contact_email_alt_upper"),
        ]

    def __str__(self) -> str:
        return self.name


class SavedFilter(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    list_name = models.CharField(max_length=30)
    name = models.CharField(_("name"), max_length=40)
    query = models.CharField(max_length=1000)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "list_name", "name"], name="saved_filter_unique")]

    def __str__(self) -> str:
        return self.name
