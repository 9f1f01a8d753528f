"""Every write to touchpoints, attachments and follow-ups, and outbound email."""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.mail import EmailMessage, make_msgid
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import contact_merge_hooks, customer_merge_hooks
from touchpoint.core.models import EventKind
from touchpoint.core.notifications import notify
from touchpoint.core.uploads import check_upload
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.customers.models import Contact, Customer
from touchpoint.touchpoints.models import Attachment, Channel, Direction, FollowUp, FollowUpStatus, Touchpoint

TOUCHPOINT_LOGGED = event_type("touchpoint.logged", kind=EventKind.TOUCHPOINT, label=gettext_lazy("Touchpoint"))
TOUCHPOINT_UPDATED = event_type("touchpoint.updated", kind=EventKind.CHANGE, label=gettext_lazy("Touchpoint updated"))
TOUCHPOINT_DELETED = event_type("touchpoint.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Touchpoint deleted"))
TOUCHPOINT_RESTORED = event_type("touchpoint.restored", kind=EventKind.CHANGE, label=gettext_lazy("Touchpoint restored"))
ATTACHMENT_ADDED = event_type("attachment.added", kind=EventKind.CHANGE, label=gettext_lazy("Attachment added"))
ATTACHMENT_DELETED = event_type("attachment.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Attachment deleted"))
FOLLOWUP_CREATED = event_type("followup.created", kind=EventKind.FOLLOWUP, label=gettext_lazy("Follow-up planned"))
FOLLOWUP_UPDATED = event_type("followup.updated", kind=EventKind.CHANGE, label=gettext_lazy("Follow-up updated"))
FOLLOWUP_DONE = event_type("followup.done", kind=EventKind.FOLLOWUP, label=gettext_lazy("Follow-up done"))
FOLLOWUP_REASSIGNED = event_type(
    "followup.reassigned", kind=EventKind.HANDOFF, label=gettext_lazy("Follow-up reassigned")
)
FOLLOWUP_DELETED = event_type("followup.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Follow-up deleted"))
FOLLOWUP_RESTORED = event_type("followup.restored", kind=EventKind.CHANGE, label=gettext_lazy("Follow-up restored"))

TOUCHPOINT_FIELDS = ("channel", "direction", "occurred_at", "subject", "notes", "outcome", "department")
FOLLOWUP_FIELDS = ("subject", "notes", "due_on", "contact")


def check_not_in_future(occurred_at: datetime) -> None:
    limit = timezone.now() + timedelta(minutes=settings.TOUCHPOINT_FUTURE_TOLERANCE_MINUTES)
    if occurred_at > limit:
        raise ValidationError(
            {"occurred_at": _("An interaction cannot be dated in the future; plan a follow-up instead.")}
        )


def _check_contacts(customer: Customer, contacts: list[Contact]) -> None:
    if any(c.customer_id != customer.pk for c in contacts):
        raise ValidationError({"contacts": _("Every contact must belong to this customer.")})


def _touchpoint_payload(touchpoint: Touchpoint) -> dict[str, Any]:
    return {
        "subject": touchpoint.subject,
        "direction": touchpoint.direction,
        "outcome": touchpoint.outcome[:200],
        "notes": touchpoint.notes[:300],
    }


@transaction.atomic
def touchpoint_log(
    *,
    by: Any,
    customer: Customer,
    channel: str,
    direction: str,
    subject: str,
    occurred_at: datetime | None = None,
    notes: str = "",
    outcome: str = "",
    department: Any = None,
    contacts: list[Contact] | None = None,
    participants: list[Any] | None = None,
    files: list[UploadedFile] | None = None,
    followup_due_on: date | None = None,
    followup_assignee: Any = None,
    followup_subject: str = "",
    link_type: str = "",
    link_id: int | None = None,
    email_to: str = "",
    email_message_id: str = "",
) -> Touchpoint:
    """Record one interaction with a customer, its attachments and an optional follow-up."""
    occurred_at = occurred_at or timezone.now()
    check_not_in_future(occurred_at)
    contacts = contacts or []
    _check_contacts(customer, contacts)
    checked = [(upload, check_upload(upload)) for upload in files or []]
    touchpoint = Touchpoint(
        customer=customer,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        subject=(subject or "").strip(),
        notes=notes or "",
        outcome=outcome or "",
        department_id=department.pk if department is not None else getattr(by, "department_id", None),
        logged_by=by,
        link_type=link_type,
        link_id=link_id,
        email_to=email_to,
        email_message_id=email_message_id,
    )
    touchpoint.full_clean(exclude=["deleted_by", "department", "logged_by", "customer"])
    touchpoint._history_user = by  # type: ignore[attr-defined]
    touchpoint.save()
    # A new touchpoint has no links yet: add them without asking which ones exist.
    if contacts:
        touchpoint.contacts.add(*contacts)
    if participants:
        touchpoint.participants.add(*participants)
    for upload, facts in checked:
        _attachment_store(touchpoint=touchpoint, upload=upload, facts=facts, by=by)
    Customer.all_objects.filter(pk=customer.pk).filter(
        Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=occurred_at)
    ).update(last_touch_at=occurred_at)
    event_record(
        verb=TOUCHPOINT_LOGGED, actor=by, customer_id=customer.pk, target=touchpoint, channel=channel,
        department_id=touchpoint.department_id, occurred_at=occurred_at,
        payload={**_touchpoint_payload(touchpoint), "contacts": [c.name for c in contacts],
                 "attachments": len(checked)},
    )  # fmt: skip
    if followup_due_on:
        followup_create(
            by=by, customer=customer, touchpoint=touchpoint,
            assignee=followup_assignee or by, due_on=followup_due_on,
            subject=followup_subject or _("Follow up: %(subject)s") % {"subject": touchpoint.subject},
            contact=contacts[0] if contacts else None,
        )  # fmt: skip
    return touchpoint


@transaction.atomic
def touchpoint_update(
    *, touchpoint: Touchpoint, by: Any, expected_version: int, contacts: list[Contact] | None = None, **values: Any
) -> tuple[Touchpoint, list[FieldChange]]:
    values = {k: v for k, v in values.items() if k in TOUCHPOINT_FIELDS}
    if "occurred_at" in values:
        check_not_in_future(values["occurred_at"])
    touchpoint._history_user = by  # type: ignore[attr-defined]
    updated, diff = edit_apply(instance=touchpoint, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Touchpoint)
    if contacts is not None:
        _check_contacts(updated.customer, contacts)
        if set(updated.contacts.values_list("pk", flat=True)) != {c.pk for c in contacts}:
            updated.contacts.set(contacts)
            diff.append(FieldChange(field="contacts", label=str(Touchpoint._meta.get_field("contacts").verbose_name),
                                    old="", new=", ".join(c.name for c in contacts)))  # fmt: skip
    if diff:
        event_record(
            verb=TOUCHPOINT_UPDATED, actor=by, customer_id=updated.customer_id, target=updated,
            channel=updated.channel,
            payload={"subject": updated.subject,
                     "changes": [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in diff]},
        )  # fmt: skip
    return updated, diff


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint, by: Any) -> Touchpoint:
    touchpoint.mark_deleted(by)
    event_record(verb=TOUCHPOINT_DELETED, actor=by, customer_id=touchpoint.customer_id, target=touchpoint,
                 channel=touchpoint.channel, payload={"subject": touchpoint.subject})  # fmt: skip
    return touchpoint


@transaction.atomic
def touchpoint_restore(*, touchpoint: Touchpoint, by: Any) -> Touchpoint:
    touchpoint.mark_restored(by)
    event_record(verb=TOUCHPOINT_RESTORED, actor=by, customer_id=touchpoint.customer_id, target=touchpoint,
                 channel=touchpoint.channel, payload={"subject": touchpoint.subject})  # fmt: skip
    return touchpoint


def _attachment_store(*, touchpoint: Touchpoint, upload: UploadedFile, facts: Any, by: Any) -> Attachment:
    attachment = Attachment(
        touchpoint=touchpoint,
        customer_id=touchpoint.customer_id,
        original_name=facts.name,
        content_type=facts.content_type,
        size=facts.size,
        sha256=facts.sha256,
        uploaded_by=by,
    )
    attachment.file.save(facts.name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_add(*, touchpoint: Touchpoint, upload: UploadedFile, by: Any) -> Attachment:
    facts = check_upload(upload)
    attachment = _attachment_store(touchpoint=touchpoint, upload=upload, facts=facts, by=by)
    event_record(verb=ATTACHMENT_ADDED, actor=by, customer_id=touchpoint.customer_id, target=touchpoint,
                 payload={"file": facts.name, "subject": touchpoint.subject})  # fmt: skip
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, by: Any) -> Attachment:
    attachment.mark_deleted(by)
    event_record(verb=ATTACHMENT_DELETED, actor=by, customer_id=attachment.customer_id, target=attachment.touchpoint,
                 payload={"file": attachment.original_name})  # fmt: skip
    return attachment


@transaction.atomic
def email_send(
    *,
    by: Any,
    contact: Contact,
    subject: str,
    body: str,
    cc_self: bool = False,
    attachments: list[tuple[str, bytes, str]] | None = None,
    link_type: str = "",
    link_id: int | None = None,
    reply_to: list[str] | None = None,
    in_reply_to: str = "",
    references: str = "",
    auto_submitted: str = "",
    message_id: str = "",
) -> Touchpoint:
    """Send an email to a contact by SMTP and log it as an outbound email touchpoint.

    `attachments` are (file name, content, MIME type); they go with the mail and are kept on the
    touchpoint. `link_type`/`link_id` tie the touchpoint to a work item (a quote, a request).
    `reply_to` replaces the sender's own address (e.g. with a support mailbox); `in_reply_to`,
    `references` and `message_id` thread the mail into a conversation, and `auto_submitted` marks a
    mail no person wrote (RFC 3834), so that auto-responders do not answer it."""
    if not contact.email:
        raise ValidationError({"contact": _("This contact has no email address.")})
    if contact.do_not_contact:
        raise ValidationError({"contact": _("This contact asked not to be contacted.")})
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("An email needs a subject.")})
    message_id = message_id or make_msgid(domain="touchpoint.crm")
    headers = {"Message-ID": message_id}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = references
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    touchpoint = touchpoint_log(
        by=by, customer=contact.customer, channel=Channel.EMAIL, direction=Direction.OUTBOUND,
        subject=subject, notes=body, contacts=[contact], email_to=contact.email, email_message_id=message_id,
        files=[SimpleUploadedFile(name, content, content_type=kind) for name, content, kind in attachments or []],
        link_type=link_type, link_id=link_id,
    )  # fmt: skip
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[contact.email],
        cc=[by.email] if cc_self and by.email else [],
        reply_to=reply_to if reply_to is not None else [by.email] if by.email else [],
        headers=headers,
    )
    for name, content, kind in attachments or []:
        message.attach(name, content, kind)
    transaction.on_commit(lambda: message.send(fail_silently=False))
    return touchpoint


@transaction.atomic
def followup_create(
    *,
    by: Any,
    customer: Customer,
    assignee: Any,
    due_on: date,
    subject: str,
    notes: str = "",
    contact: Contact | None = None,
    touchpoint: Touchpoint | None = None,
) -> FollowUp:
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    if not assignee.is_active:
        raise ValidationError({"assignee": _("The assignee is deactivated.")})
    followup = FollowUp(
        customer=customer, touchpoint=touchpoint, contact=contact, subject=(subject or "").strip()[:200],
        notes=notes, due_on=due_on, assignee=assignee, created_by=by,
    )  # fmt: skip
    followup.full_clean(exclude=["deleted_by", "done_by", "customer", "assignee", "created_by", "touchpoint", "contact"])
    followup._history_user = by  # type: ignore[attr-defined]
    followup.save()
    event_record(
        verb=FOLLOWUP_CREATED, actor=by, customer_id=customer.pk, target=followup,
        payload={"subject": followup.subject, "due_on": due_on.isoformat(), "assignee": str(assignee)},
    )  # fmt: skip
    if assignee.pk != by.pk:
        _notify(assignee, f"followup:{followup.pk}:assigned:{assignee.pk}",
                _("%(user)s asked you to follow up: %(subject)s") % {"user": by, "subject": followup.subject},
                f"/followups/{followup.pk}/")  # fmt: skip
    return followup


def _notify(recipient: Any, key: str, text: str, url: str) -> None:
    notify(recipient.pk, key, text, url)


@transaction.atomic
def followup_update(
    *, followup: FollowUp, by: Any, expected_version: int, **values: Any
) -> tuple[FollowUp, list[FieldChange]]:
    values = {k: v for k, v in values.items() if k in FOLLOWUP_FIELDS}
    if values.get("contact") is not None and values["contact"].customer_id != followup.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    followup._history_user = by  # type: ignore[attr-defined]
    updated, diff = edit_apply(instance=followup, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, FollowUp)
    if diff:
        event_record(
            verb=FOLLOWUP_UPDATED, actor=by, customer_id=updated.customer_id, target=updated,
            payload={"subject": updated.subject,
                     "changes": [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in diff]},
        )  # fmt: skip
    return updated, diff


@transaction.atomic
def followup_complete(*, followup: FollowUp, by: Any, outcome: str = "") -> FollowUp:
    locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if locked.status != FollowUpStatus.OPEN:
        raise ValidationError(_("This follow-up is already closed."))
    locked.status = FollowUpStatus.DONE
    locked.done_at = timezone.now()
    locked.done_by = by
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "done_at", "done_by", "version", "updated_at"])
    event_record(
        verb=FOLLOWUP_DONE, actor=by, customer_id=locked.customer_id, target=locked,
        payload={"subject": locked.subject, "outcome": (outcome or "")[:500],
                 "late_days": max(0, (timezone.localdate() - locked.due_on).days)},
    )  # fmt: skip
    return locked


@transaction.atomic
def followup_reassign(*, followup: FollowUp, assignee: Any, by: Any, reason: str) -> FollowUp:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the follow-up changes hands.")})
    if not assignee.is_active:
        raise ValidationError({"assignee": _("The assignee is deactivated.")})
    locked = FollowUp.objects.select_for_update().select_related("assignee").get(pk=followup.pk)
    if locked.status != FollowUpStatus.OPEN:
        raise ValidationError(_("Only an open follow-up can be reassigned."))
    previous = locked.assignee
    if previous.pk == assignee.pk:
        return locked
    locked.assignee = assignee
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["assignee", "version", "updated_at"])
    event_record(
        verb=FOLLOWUP_REASSIGNED, actor=by, customer_id=locked.customer_id, target=locked,
        payload={"subject": locked.subject, "from": str(previous), "from_id": previous.pk,
                 "from_department": previous.department.name if previous.department else "", "to": str(assignee), "to_id": assignee.pk,
                 "to_department": assignee.department.name if assignee.department else "", "reason": reason[:500]},
    )  # fmt: skip
    _notify(assignee, f"followup:{locked.pk}:assigned:{assignee.pk}",
            _("%(user)s handed you a follow-up: %(subject)s") % {"user": by, "subject": locked.subject},
            f"/followups/{locked.pk}/")  # fmt: skip
    return locked


@transaction.atomic
def followup_delete(*, followup: FollowUp, by: Any) -> FollowUp:
    followup.mark_deleted(by)
    event_record(verb=FOLLOWUP_DELETED, actor=by, customer_id=followup.customer_id, target=followup,
                 payload={"subject": followup.subject})  # fmt: skip
    return followup


@transaction.atomic
def followup_restore(*, followup: FollowUp, by: Any) -> FollowUp:
    followup.mark_restored(by)
    event_record(verb=FOLLOWUP_RESTORED, actor=by, customer_id=followup.customer_id, target=followup,
                 payload={"subject": followup.subject})  # fmt: skip
    return followup


def followups_remind_due(*, today: date | None = None) -> int:
    """Notify each assignee once about follow-ups due today or overdue. Idempotent."""
    today = today or timezone.localdate()
    due = FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_on__lte=today, reminded_at__isnull=True)
    sent = 0
    for followup in due.select_related("customer").iterator():
        with transaction.atomic():
            _notify(followup.assignee, f"followup:{followup.pk}:due",
                    _("Follow-up due %(date)s: %(subject)s (%(customer)s)")
                    % {"date": followup.due_on.isoformat(), "subject": followup.subject,
                       "customer": followup.customer.display_name},
                    f"/followups/{followup.pk}/")  # fmt: skip
            FollowUp.all_objects.filter(pk=followup.pk).update(reminded_at=timezone.now())
            sent += 1
    return sent


def _merge_contact_rows(*, keep: Contact, duplicate: Contact, by: Any) -> dict[str, int]:
    through = Touchpoint.contacts.through
    rows = list(through.objects.filter(contact_id=duplicate.pk).values_list("touchpoint_id", flat=True))
    already = set(through.objects.filter(contact_id=keep.pk, touchpoint_id__in=rows).values_list("touchpoint_id", flat=True))
    through.objects.filter(contact_id=duplicate.pk).delete()
    through.objects.bulk_create([through(touchpoint_id=t, contact_id=keep.pk) for t in rows if t not in already])
    followups = FollowUp.all_objects.filter(contact=duplicate).update(contact=keep)
    return {"touchpoints": len(rows), "followups": followups}


contact_merge_hooks["touchpoints"] = _merge_contact_rows


def _merge_customer_rows(*, keep: Customer, duplicate: Customer, by: Any) -> dict[str, int]:
    return {
        "touchpoints": Touchpoint.all_objects.filter(customer=duplicate).update(customer=keep),
        "followups": FollowUp.all_objects.filter(customer=duplicate).update(customer=keep),
        "attachments": Attachment.all_objects.filter(customer=duplicate).update(customer=keep),
    }


customer_merge_hooks["touchpoints"] = _merge_customer_rows
