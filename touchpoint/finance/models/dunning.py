"""Dunning: the reminder levels an administrator configures, and the letters the daily run sent."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import BilingualName
from touchpoint.core.money import amount_field, currency_field
from touchpoint.customers.models import Contact, Customer


class DunningLevel(BilingualName):
    """One step of the ladder, relative to an invoice's due date (−7: a week before; 30: a month late)."""

    days = models.SmallIntegerField(_("days after the due date"), unique=True)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=150)
    body_zh = models.TextField(_("body (Chinese)"), max_length=5000)
    subject_en = models.CharField(_("subject (English)"), max_length=150)
    body_en = models.TextField(_("body (English)"), max_length=5000)
    notify_rep = models.BooleanField(_("notify the sales rep"), default=True)
    notify_finance = models.BooleanField(_("notify finance"), default=True)
    notify_manager = models.BooleanField(_("escalate to the sales manager"), default=False)
    notify_executive = models.BooleanField(_("escalate to the executives"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("dunning level")
        verbose_name_plural = _("dunning levels")
        ordering = ["days"]

    @property
    def is_reminder(self) -> bool:
        return self.days <= 0


class LetterStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    NO_CONTACT = "no_contact", _("No finance contact with an email")
    FAILED = "failed", _("Mail refused; the next run sends it again")


class DunningLetter(models.Model):
    """One reminder to one customer at one level, covering every invoice that reached that level."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(DunningLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="letters")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    run_on = models.DateField(_("run on"))
    status = models.CharField(_("status"), max_length=10, choices=LetterStatus.choices)
    contact = models.ForeignKey(Contact, verbose_name=_("sent to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(_("email"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    total = amount_field(_("amount"))
    currency = currency_field()
    touchpoint_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("reminder letter")
        verbose_name_plural = _("reminder letters")
        ordering = ["-run_on", "-id"]
        indexes = [models.Index(fields=["customer", "-run_on"], name="letter_customer")]

    def __str__(self) -> str:
        return self.subject


class DunningItem(models.Model):
    """An invoice a letter covered at a level: at most one per invoice and level, so a rerun sends nothing twice."""

    letter = models.ForeignKey(DunningLetter, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("finance.Invoice", on_delete=models.PROTECT, related_name="dunning_items")
    level = models.ForeignKey(DunningLevel, on_delete=models.PROTECT, related_name="+")
    open_amount = amount_field(_("open"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="dunning_once_per_level")]

    def __str__(self) -> str:
        return f"{self.invoice_id} @ {self.level_id}"
