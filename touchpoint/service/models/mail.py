"""Service mail: every message fetched from the support mailbox, what became of it, and how far
each mailbox has been read, so that ingestion is idempotent and can restart where it stopped."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from touchpoint.core.models import TimeStamped
from touchpoint.service.models.requests import RequestMessage, ServiceRequest


class MailOutcome(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    CREATED = "created", _("New request")
    THREADED = "threaded", _("Added to a request")
    AUTO_REPLY = "auto_reply", _("Ignored: auto-reply")
    BOUNCE = "bounce", _("Ignored: bounce")
    OWN = "own", _("Ignored: sent by us")
    FLOOD = "flood", _("Ignored: too many mails from the sender")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class InboundMail(TimeStamped):
    """One fetched message. The Message-ID is unique per mailbox; a mail without one gets an id made
    from a hash of its content, so fetching it again is recognised."""

    mailbox = models.CharField(_("mailbox"), max_length=200)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250)
    in_reply_to = models.CharField(max_length=250, blank=True)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=MailOutcome.choices, default=MailOutcome.RECEIVED)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    request_message = models.ForeignKey(RequestMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The mail's HTML, sanitised (no scripts, styles, event handlers or javascript: links).
    html = models.TextField(blank=True)
    # The acknowledgement sent for it, so that an answer to the acknowledgement threads.
    ack_message_id = models.CharField(max_length=250, blank=True, db_index=True)
    # The original message, kept when part of it could not be taken in (a failure, an unknown
    # sender's attachments), so that nothing is lost.
    raw = models.FileField(upload_to="mail/inbound/%Y/%m/", max_length=200, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mails")
        ordering = ["-created_at"]
        constraints = [
            # A second copy of a message (another UID, same Message-ID) is kept as a duplicate row.
            models.UniqueConstraint(fields=["mailbox", "message_id"], condition=~Q(outcome="duplicate"), name="inbound_mail_once"),
            models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"], name="inbound_mail_uid_once"),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["sender", "created_at"], name="inbound_mail_sender"),
            models.Index(fields=["message_id"], name="inbound_mail_message_id"),
            models.Index(fields=["outcome", "created_at"], name="inbound_mail_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} · {self.get_outcome_display()}"


class MailboxState(models.Model):
    """How far a mailbox has been read. A changed UIDVALIDITY means the server renumbered the
    folder: reading starts again from the beginning, and the Message-IDs keep it idempotent."""

    mailbox = models.CharField(max_length=200, unique=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.mailbox} @ {self.uidvalidity}:{self.last_uid}"
