"""Taking in the support mailbox: each fetched mail becomes a new request, a message on the request it
answers, or a recorded refusal (a bounce, an auto-reply, our own mail, a flood). Every mail leaves
one InboundMail row with its outcome, so fetching the same mail again creates nothing new.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind
from touchpoint.core.uploads import check_upload
from touchpoint.customers.models import Contact
from touchpoint.service.mail.inbound import MailAttachment, ParsedMail, parse_mail
from touchpoint.service.models import InboundMail, MailOutcome, RequestMessage, ServiceRequest, Status
from touchpoint.service.services.requests import (
    mail_subject,
    request_create,
    request_customer_message,
    request_note,
    support_address,
)
from touchpoint.touchpoints.services import attachment_add

log = logging.getLogger(__name__)

UNPROCESSED = (MailOutcome.RECEIVED, MailOutcome.FAILED)
MAIL_RETRIED = event_type("mail.retried", kind=EventKind.SERVICE, label=gettext_lazy("Inbound mail retried"))
ACKS_PER_SENDER = 3  # acknowledgements to one address within the flood window, at most


@dataclass
class Ingested:
    mail: InboundMail
    new: bool  # False when this mail (this UID, or this Message-ID) was taken in before


def mail_ingest(*, raw: bytes, mailbox: str = "", uid: int | None = None, uidvalidity: int | None = None) -> Ingested:
    """Take in one raw message. Idempotent by (mailbox, UIDVALIDITY, UID) and by Message-ID."""
    try:
        parsed = parse_mail(raw)
    except Exception as error:  # the parser is built not to raise; if it still does, keep the mail
        log.exception("inbound mail could not be parsed")
        return _record_failure(raw=raw, mailbox=mailbox, uid=uid, uidvalidity=uidvalidity, error=error)

    # One look for both: this UID taken in before, or this Message-ID under another UID.
    known = Q(message_id=parsed.message_id) & ~Q(outcome=MailOutcome.DUPLICATE)
    if uid is not None:
        known |= Q(uidvalidity=uidvalidity, uid=uid)
    rows = list(InboundMail.objects.filter(known, mailbox=mailbox)[:3])
    seen = next((row for row in rows if uid is not None and row.uid == uid and row.uidvalidity == uidvalidity), None)
    if seen is not None and seen.outcome not in UNPROCESSED:
        return Ingested(seen, new=False)
    existing = next((row for row in rows if row.message_id == parsed.message_id and row.outcome != MailOutcome.DUPLICATE), None)
    if existing is not None and existing.outcome not in UNPROCESSED:
        if uid is None:
            return Ingested(existing, new=False)
        copy = _row(parsed, mailbox, uid, uidvalidity, outcome=MailOutcome.DUPLICATE,
                    reason=_("The same message was taken in before (%(id)s).") % {"id": existing.message_id},
                    request=existing.request)  # fmt: skip
        try:
            with transaction.atomic():
                copy.save()
        except IntegrityError:
            return Ingested(existing, new=False)
        return Ingested(copy, new=True)
    try:
        with transaction.atomic():
            mail = existing or seen or _row(parsed, mailbox, uid, uidvalidity, outcome=MailOutcome.RECEIVED)
            if mail.pk is not None:  # a failed attempt is tried again under this UID
                mail.uid, mail.uidvalidity, mail.reason, mail.message_id = uid, uidvalidity, "", parsed.message_id
            _process(mail, parsed, raw)
            mail.processed_at = timezone.now()
            mail.save()
        return Ingested(mail, new=True)
    except IntegrityError:
        # Another worker took the same mail in at the same moment.
        taken = InboundMail.objects.filter(mailbox=mailbox, message_id=parsed.message_id).exclude(outcome=MailOutcome.DUPLICATE).first()
        if taken is not None:
            return Ingested(taken, new=False)
        raise
    except Exception as error:
        log.exception("inbound mail %s failed", parsed.message_id)
        return _record_failure(raw=raw, mailbox=mailbox, uid=uid, uidvalidity=uidvalidity, error=error, parsed=parsed)


def _row(parsed: ParsedMail, mailbox: str, uid: int | None, uidvalidity: int | None, **values: Any) -> InboundMail:
    return InboundMail(mailbox=mailbox[:200], uid=uid, uidvalidity=uidvalidity, message_id=parsed.message_id,
                       in_reply_to=parsed.in_reply_to, sender=parsed.sender, subject=parsed.subject[:300],
                       sent_at=parsed.sent_at, size=min(parsed.size, 2**31 - 1), html=parsed.html[:200_000], **values)  # fmt: skip


def _record_failure(*, raw: bytes, mailbox: str, uid: int | None, uidvalidity: int | None, error: Exception,
                    parsed: ParsedMail | None = None) -> Ingested:  # fmt: skip
    """Keep the original of a mail that could not be taken in, so that it can be looked at and retried."""
    message_id = parsed.message_id if parsed else f"<{hashlib.sha256(raw).hexdigest()[:40]}@content-hash.invalid>"
    mail = InboundMail.objects.filter(mailbox=mailbox, message_id=message_id).exclude(outcome=MailOutcome.DUPLICATE).first()
    if mail is None:
        mail = InboundMail(mailbox=mailbox[:200], message_id=message_id, size=min(len(raw), 2**31 - 1))
        if parsed is not None:
            mail.sender, mail.subject, mail.sent_at = parsed.sender, parsed.subject[:300], parsed.sent_at
    mail.uid, mail.uidvalidity = uid, uidvalidity
    mail.outcome, mail.reason = MailOutcome.FAILED, f"{type(error).__name__}: {error}"[:500]
    mail.request = None
    if not mail.raw:
        _keep_original(mail, raw)
    mail.save()
    return Ingested(mail, new=True)


def _keep_original(mail: InboundMail, raw: bytes) -> None:
    mail.raw.save(f"{timezone.now():%Y%m%d-%H%M%S}-{hashlib.sha256(raw).hexdigest()[:16]}.eml", ContentFile(raw), save=False)


# --- Deciding what the mail is ------------------------------------------------------------------------


def _ignore(mail: InboundMail, outcome: str, reason: str) -> None:
    mail.outcome, mail.reason = outcome, reason[:500]


def _process(mail: InboundMail, parsed: ParsedMail, raw: bytes) -> None:
    if parsed.bounce:
        return _ignore(mail, MailOutcome.BOUNCE, parsed.bounce)
    if parsed.auto_reply:
        return _ignore(mail, MailOutcome.AUTO_REPLY, parsed.auto_reply)
    own = support_address()
    if parsed.sender and own and parsed.sender == own:
        return _ignore(mail, MailOutcome.OWN, _("Sent from our own support address."))
    if not parsed.sender:
        _keep_original(mail, raw)
        return _ignore(mail, MailOutcome.REJECTED, _("The mail has no sender address to answer; the original is kept."))
    window = timezone.now() - timedelta(minutes=settings.SERVICE_MAIL_FLOOD_MINUTES)
    recently = InboundMail.objects.filter(sender=parsed.sender, created_at__gte=window)
    if mail.pk is not None:
        recently = recently.exclude(pk=mail.pk)
    counts = recently.aggregate(mails=Count("id"), acks=Count("id", filter=~Q(ack_message_id="")))
    recent = counts["mails"]
    if recent >= settings.SERVICE_MAIL_FLOOD_LIMIT:
        return _ignore(mail, MailOutcome.FLOOD, _("%(count)s mails from %(sender)s within %(minutes)s minutes.")
                       % {"count": recent + 1, "sender": parsed.sender, "minutes": settings.SERVICE_MAIL_FLOOD_MINUTES})  # fmt: skip

    contact, note = _contact_for(parsed.sender)
    request = _thread_for(parsed, contact)
    kept, dropped = _split_attachments(parsed.attachments)
    if request is not None:
        _thread(mail, request, parsed, contact, kept, dropped, raw, may_acknowledge=counts["acks"] < ACKS_PER_SENDER)
    else:
        _create(mail, parsed, contact, note, kept, dropped, raw, may_acknowledge=counts["acks"] < ACKS_PER_SENDER)


def _contact_for(address: str) -> tuple[Contact | None, str]:
    """The contact whose address the mail came from; none (and why) when nobody or several customers match."""
    # Addresses are mostly stored in lower case: the exact match uses the email indexes, and only a
    # miss pays for the case-insensitive scan.
    contacts = list(Contact.objects.filter(Q(email=address) | Q(email_alt=address)).select_related("customer")[:5])
    if not contacts:
        contacts = list(Contact.objects.filter(Q(email__iexact=address) | Q(email_alt__iexact=address)).select_related("customer")[:5])
    customers = {contact.customer_id for contact in contacts}
    if len(customers) > 1:
        return None, _("%(address)s is a contact of several customers; choose the right one.") % {"address": address}
    if not contacts:
        return None, ""
    exact = [contact for contact in contacts if contact.email.lower() == address]
    return (exact or contacts)[0], ""


def _may_write_on(request: ServiceRequest, sender: str, contact: Contact | None) -> bool:
    """Only the request's own people thread into it: a contact of its customer, or the address that
    opened it. Anyone else naming an [SR-…] token opens a request of their own."""
    if request.requester_email and request.requester_email.lower() == sender:
        return True
    return contact is not None and request.customer_id is not None and contact.customer_id == request.customer_id


def _thread_for(parsed: ParsedMail, contact: Contact | None) -> ServiceRequest | None:
    candidates: list[ServiceRequest] = []
    ids = parsed.thread_ids
    if ids:
        by_id: dict[str, ServiceRequest] = {}
        for message in RequestMessage.objects.filter(message_id__in=ids).select_related("request"):
            by_id.setdefault(message.message_id, message.request)
        # The customers' own mails are on the requests' messages already; our acknowledgements are not.
        for mail in InboundMail.objects.filter(ack_message_id__in=ids, request__isnull=False).select_related("request"):
            if mail.request is not None:
                by_id.setdefault(mail.ack_message_id, mail.request)
        candidates += [by_id[mid] for mid in ids if mid in by_id]
    if parsed.tokens:
        candidates += list(ServiceRequest.objects.filter(number__in=parsed.tokens))
    for request in candidates:
        if _may_write_on(request, parsed.sender, contact):
            return request
    return None


def _split_attachments(attachments: list[MailAttachment]) -> tuple[list[UploadedFile], list[str]]:
    """The attachments that pass the upload checks, and a line for each one that does not."""
    kept: list[UploadedFile] = []
    dropped: list[str] = []
    for attachment in attachments:
        upload = SimpleUploadedFile(attachment.name or "attachment", attachment.data, content_type=attachment.content_type)
        if attachment.size > settings.ATTACHMENT_MAX_BYTES:
            dropped.append(_("%(name)s (%(size)s) was dropped: attachments may be at most %(limit)s.")
                           % {"name": attachment.name, "size": filesizeformat(attachment.size),
                              "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)})  # fmt: skip
            continue
        try:
            check_upload(upload)
        except ValidationError as error:
            dropped.append(_("%(name)s was not kept: %(reason)s") % {"name": attachment.name, "reason": " ".join(error.messages)})
            continue
        upload.seek(0)
        kept.append(upload)
    return kept, dropped


def _notes(request: ServiceRequest, lines: list[str]) -> None:
    if lines:
        request_note(request=request, by=None, body="\n".join([_("From the mail:"), *lines]))


def _unkept_files_line(kept: list[UploadedFile], mail: InboundMail, raw: bytes) -> list[str]:
    """Attachments of a request without a customer cannot go on a touchpoint yet: keep the original."""
    if not kept:
        return []
    _keep_original(mail, raw)
    return [_("%(count)s attachment(s) are kept with the original mail until the sender is matched to a customer.")
            % {"count": len(kept)}]  # fmt: skip


def _thread(mail: InboundMail, request: ServiceRequest, parsed: ParsedMail, contact: Contact | None,
            kept: list[UploadedFile], dropped: list[str], raw: bytes, may_acknowledge: bool) -> None:  # fmt: skip
    if request.status == Status.CLOSED:
        note = _("This mail answers %(number)s, which is closed.") % {"number": request.number}
        return _create(mail, parsed, contact, note, kept, dropped, raw, follows=request, may_acknowledge=may_acknowledge)
    lines = list(dropped)
    files = kept
    if request.customer_id is None or not (request.owner_id or request.assignee_id):
        lines += _unkept_files_line(kept, mail, raw)
        files = []
    body = parsed.text or (_("(The mail has no text.)") if not files else "")
    message = request_customer_message(request=request, body=body, channel=Channel.EMAIL, contact=contact, files=files,
                                       message_id=parsed.message_id,
                                       sender=_sender_label(parsed, contact))  # fmt: skip
    _notes(request, lines)
    mail.outcome, mail.request, mail.request_message = MailOutcome.THREADED, request, message
    mail.reason = _("Added to %(number)s") % {"number": request.number}


def _sender_label(parsed: ParsedMail, contact: Contact | None) -> str:
    if contact is not None:
        return f"{contact} <{parsed.sender}>"[:200]
    return (f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else parsed.sender)[:200]


def _create(mail: InboundMail, parsed: ParsedMail, contact: Contact | None, note: str, kept: list[UploadedFile],
            dropped: list[str], raw: bytes, may_acknowledge: bool, follows: ServiceRequest | None = None) -> None:  # fmt: skip
    customer = contact.customer if contact is not None else None
    request = request_create(by=None, customer=customer, contact=contact, requester_email=parsed.sender,
                             subject=parsed.subject or _("(no subject)"), channel=Channel.EMAIL,
                             description=parsed.text or _("(The mail has no text.)"), message_id=parsed.message_id,
                             sender=_sender_label(parsed, contact))  # fmt: skip
    lines = [line for line in (note,) if line] + list(dropped)
    if kept:
        intake = request.intake_message.touchpoint if request.intake_message is not None else None
        if intake is not None:
            for upload in kept:
                attachment_add(touchpoint=intake, upload=upload, by=request.owner or request.assignee)
        else:
            lines += _unkept_files_line(kept, mail, raw)
    if follows is not None:
        lines.append(_("It follows up %(number)s.") % {"number": follows.number})
    _notes(request, lines)
    mail.outcome, mail.request, mail.request_message = MailOutcome.CREATED, request, request.intake_message
    mail.reason = _("New request %(number)s") % {"number": request.number} + (_(", for triage") if customer is None else "")
    # Never more than a few acknowledgements to one address in the window: a robot that answers
    # every mail without saying so must not start an endless exchange.
    if may_acknowledge and not (contact is not None and contact.do_not_contact):
        mail.ack_message_id = _acknowledge(request, parsed)


# --- The acknowledgement --------------------------------------------------------------------------------


def _acknowledge(request: ServiceRequest, parsed: ParsedMail) -> str:
    """Mail the sender the request number (after commit), threaded on their mail; returns its Message-ID."""
    message_id = make_msgid(domain="touchpoint.crm")
    references = " ".join([*parsed.references[-9:], parsed.message_id])
    with translation.override(settings.LANGUAGE_CODE):
        subject = mail_subject(request, _("Received: %(subject)s") % {"subject": request.subject})
        body = _(
            "Thank you for your mail. We have logged it as service request %(number)s and the maintenance centre "
            "will come back to you.\n\nPlease keep %(token)s in the subject when you write about this request.\n\n"
            "This message was sent automatically."
        ) % {"number": request.number, "token": f"[{request.number}]"}  # fmt: skip
    own = settings.SERVICE_MAIL_ADDRESS
    email = EmailMessage(
        subject=subject, body=body, to=[parsed.sender], reply_to=[own] if own else [],
        headers={"Message-ID": message_id, "In-Reply-To": parsed.message_id, "References": references,
                 "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "Precedence": "auto_reply"},
    )  # fmt: skip
    if own:
        email.from_email = own

    def send() -> None:
        try:
            email.send(fail_silently=False)
        except Exception:  # the request exists; a lost acknowledgement must not undo it
            log.exception("acknowledgement for %s could not be sent", request.number)

    transaction.on_commit(send)
    return message_id


# --- Retrying a failed mail ------------------------------------------------------------------------------

def mail_retry(*, mail: InboundMail, by: Any) -> Ingested:
    """Take a failed mail in again from its kept original, under its own mailbox, UID and UIDVALIDITY,
    as the worker would on its next pass. A mail that fails again stays failed with the new reason.

    The row is locked first, so that two retries at once take the mail in once."""
    with transaction.atomic():
        current = InboundMail.objects.select_for_update().filter(pk=mail.pk).first()
        if current is None or current.outcome != MailOutcome.FAILED:
            outcome = current.get_outcome_display() if current is not None else "-"
            raise ValidationError(_("Only a mail that failed can be retried; this one is “%(outcome)s”.") % {"outcome": outcome},
                                  code="not_failed")  # fmt: skip
        if not current.raw:
            raise ValidationError(_("The original of this mail was not kept, so it cannot be taken in again."), code="no_original")
        try:
            with current.raw.open("rb") as original:
                raw = original.read()
        except OSError as error:
            log.warning("the kept original of inbound mail %s cannot be read: %s", current.pk, error)
            raise ValidationError(_("The kept original of this mail cannot be read."), code="no_original") from error
        result = mail_ingest(raw=raw, mailbox=current.mailbox, uid=current.uid, uidvalidity=current.uidvalidity)
        taken = result.mail
        request = taken.request
        event_record(verb=MAIL_RETRIED, actor=by, customer_id=request.customer_id if request else None, target=taken,
                     channel=Channel.EMAIL, payload={"message_id": taken.message_id, "outcome": taken.outcome,
                                                     "reason": taken.reason, "number": request.number if request else ""})  # fmt: skip
    mail.refresh_from_db()
    return result
