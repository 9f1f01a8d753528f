"""Customer users of the portal, their invitations, and announcements to customers.

A customer user is an ordinary `org.User` with no position and no department; its `PortalAccount`
ties it to one customer (and, if granted, some of that customer's branches). Everything a customer
user sees is filtered by those customer ids.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import TimeStamped
from touchpoint.customers.models import Contact, Customer


class PortalAccount(TimeStamped):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portal_account")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="portal_accounts")
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_accounts"
    )
    is_admin = models.BooleanField(
        _("customer admin"), default=False, help_text=_("May invite colleagues and see the customer's portal users.")
    )
    # Branches (customers whose parent is this customer) whose records the user may see as well.
    branches = models.ManyToManyField(Customer, verbose_name=_("branches granted"), blank=True, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("portal user")
        verbose_name_plural = _("portal users")
        ordering = ["customer", "user__full_name", "id"]
        indexes = [models.Index(fields=["customer", "is_active"], name="portal_account_customer")]

    def __str__(self) -> str:
        return str(self.user)


class PortalInvitation(TimeStamped):
    """An emailed link to set a password. Only the SHA-256 of the token is kept."""

    email = models.EmailField(_("email"), max_length=120)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_admin = models.BooleanField(_("customer admin"), default=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    account = models.OneToOneField(PortalAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation")

    class Meta:
        verbose_name = _("portal invitation")
        verbose_name_plural = _("portal invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="portal_invitation_customer")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class Audience(models.TextChoices):
    ALL = "all", _("All customers")
    SELECTED = "selected", _("Selected customers")


class Announcement(TimeStamped):
    title = models.CharField(_("title"), max_length=160)
    body = models.TextField(_("text"), max_length=20_000)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL)
    customers = models.ManyToManyField(Customer, verbose_name=_("customers"), blank=True, related_name="+")
    published_from = models.DateTimeField(_("published from"), default=timezone.now)
    published_to = models.DateTimeField(_("published until"), null=True, blank=True, help_text=_("Empty: no end."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_from", "-id"]
        indexes = [models.Index(fields=["-published_from"], name="announcement_published")]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_to__isnull=True) | Q(published_to__gt=models.F("published_from")),
                name="announcement_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.title
