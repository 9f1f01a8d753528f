"""Complaints: raise one from a request or directly, work it through investigation to a corrective
action, tell the customer, close it only on the customer's confirmation, and reopen it."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import portal_customers
from touchpoint.core.models import Channel, EventKind
from touchpoint.core.numbering import next_number
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.models import Department
from touchpoint.service.models import (
    Complaint,
    ComplaintAbout,
    ComplaintEvent,
    ComplaintSeverity,
    ComplaintStatus,
    ComplaintStep,
    ServiceRequest,
)
from touchpoint.touchpoints.models import Touchpoint

COMPLAINT_RAISED = event_type("complaint.raised", kind=EventKind.SERVICE, label=gettext_lazy("Complaint raised"))
COMPLAINT_UPDATED = event_type("complaint.updated", kind=EventKind.CHANGE, label=gettext_lazy("Complaint updated"))
COMPLAINT_STATUS = event_type("complaint.status", kind=EventKind.SERVICE, label=gettext_lazy("Complaint status changed"))
COMPLAINT_INFORMED = event_type("complaint.informed", kind=EventKind.SERVICE,
                                label=gettext_lazy("Customer informed about a complaint"))  # fmt: skip
COMPLAINT_CLOSED = event_type("complaint.closed", kind=EventKind.SERVICE, label=gettext_lazy("Complaint closed"))
COMPLAINT_REOPENED = event_type("complaint.reopened", kind=EventKind.SERVICE, label=gettext_lazy("Complaint reopened"))
COMPLAINT_LINKED = event_type("complaint.linked", kind=EventKind.CHANGE, label=gettext_lazy("Request or touchpoint linked to a complaint"))
COMPLAINT_UNLINKED = event_type("complaint.unlinked", kind=EventKind.CHANGE,
                                label=gettext_lazy("Request or touchpoint unlinked from a complaint"))  # fmt: skip

# The workflow. Closing is its own step (complaint_confirm_close), from any open status; reopening
# (complaint_reopen) takes a closed complaint back to investigating.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ComplaintStatus.OPEN: (ComplaintStatus.INVESTIGATING, ComplaintStatus.ACTION_TAKEN),
    ComplaintStatus.INVESTIGATING: (ComplaintStatus.ACTION_TAKEN,),
    ComplaintStatus.ACTION_TAKEN: (ComplaintStatus.INVESTIGATING,),
    ComplaintStatus.CLOSED: (),
}
EDITABLE_FIELDS = ("subject", "description", "about", "department", "severity", "root_cause", "corrective_action", "owner",
                   "contact")  # fmt: skip


def _payload(complaint: Complaint, **extra: Any) -> dict[str, Any]:
    return {"number": complaint.number, "subject": complaint.subject, **extra}


def _step(complaint: Complaint, step: str, by: Any, now: datetime, *, before: str = "", after: str = "", note: str = "") -> None:
    ComplaintEvent.objects.create(complaint=complaint, step=step, before=before, after=after, note=note[:500], by=by, at=now)


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _check_choices(errors: dict[str, str], *, about: str | None = None, severity: str | None = None) -> None:
    if about is not None and about not in ComplaintAbout.values:
        errors["about"] = _("Choose what the complaint is about.")
    if severity is not None and severity not in ComplaintSeverity.values:
        errors["severity"] = _("Choose a severity.")


@transaction.atomic
def _default_owner(by: Any, customer: Customer) -> Any:
    """Whoever raised it owns it, unless a customer raised it: then the customer's service owner (or owner) does."""
    return (customer.service_owner or customer.owner) if portal_customers(by) is not None else by


def complaint_create(
    *,
    by: Any,
    subject: str,
    description: str,
    about: str,
    customer: Customer | None = None,
    request: ServiceRequest | None = None,
    contact: Contact | None = None,
    department: Department | None = None,
    severity: str = ComplaintSeverity.MEDIUM,
    owner: Any = None,
    touchpoints: list[Touchpoint] | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Raise a complaint directly for a customer, or from a request (its customer and contact follow)."""
    now = now or timezone.now()
    if request is not None:
        if customer is not None and request.customer_id != customer.pk:
            raise ValidationError({"request": _("The request belongs to another customer.")})
        customer = request.customer
        contact = contact or request.contact
    errors: dict[str, str] = {}
    subject, description = (subject or "").strip(), (description or "").strip()
    if customer is None:
        errors["customer"] = _("Choose the customer.")
    if not subject:
        errors["subject"] = _("Say in a few words what the complaint is about.")
    if not description:
        errors["description"] = _("Describe the complaint.")
    _check_choices(errors, about=about, severity=severity)
    if contact is not None and customer is not None and contact.customer_id != customer.pk:
        errors["contact"] = _("The contact must belong to this customer.")
    if owner is not None and not owner.is_active:
        errors["owner"] = _("The owner is deactivated.")
    if any(t.customer_id != getattr(customer, "pk", None) for t in touchpoints or []):
        errors["touchpoints"] = _("Every touchpoint must belong to this customer.")
    if errors:
        raise ValidationError(errors)
    assert customer is not None
    complaint = Complaint(
        number=next_number("CP", year=timezone.localdate(now).year), customer=customer, contact=contact, about=about,
        department=department, severity=severity, subject=subject[:200], description=description[:20_000],
        owner=owner or _default_owner(by, customer), raised_from=request, created_by=by,
    )  # fmt: skip
    complaint._history_user = by  # type: ignore[attr-defined]
    complaint.save()
    if request is not None:
        complaint.requests.add(request)
    if touchpoints:
        complaint.touchpoints.set(touchpoints)
    _step(complaint, ComplaintStep.CREATED, by, now, after=ComplaintStatus.OPEN)
    event_record(verb=COMPLAINT_RAISED, actor=by, customer_id=customer.pk, target=complaint,
                 department_id=department.pk if department else None,
                 payload=_payload(complaint, about=about, severity=severity,
                                  request=request.number if request else ""))  # fmt: skip
    return complaint


@transaction.atomic
def complaint_update(*, complaint: Complaint, by: Any, expected_version: int, **values: Any) -> tuple[Complaint, list[FieldChange]]:
    """Edit the complaint's facts (root cause, corrective action, department, owner…), version-checked."""
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    errors: dict[str, str] = {}
    _check_choices(errors, about=values.get("about"), severity=values.get("severity"))
    for name in ("subject", "description"):
        if name in values and not (values[name] or "").strip():
            errors[name] = _("This field cannot be empty.")
    if values.get("contact") is not None and values["contact"].customer_id != complaint.customer_id:
        errors["contact"] = _("The contact must belong to this customer.")
    if values.get("owner") is not None and not values["owner"].is_active:
        errors["owner"] = _("The owner is deactivated.")
    if errors:
        raise ValidationError(errors)
    updated, diff = edit_apply(instance=complaint, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Complaint)
    if diff:
        _step(updated, ComplaintStep.UPDATED, by, timezone.now(), note=", ".join(c.label for c in diff))
        event_record(verb=COMPLAINT_UPDATED, actor=by, customer_id=updated.customer_id, target=updated,
                     payload=_payload(updated, changes=[{"field": c.field, "label": c.label, "old": c.old[:200],
                                                         "new": c.new[:200]} for c in diff]))  # fmt: skip
    return updated, diff


@transaction.atomic
def complaint_move(*, complaint: Complaint, status: str, by: Any, note: str = "", now: datetime | None = None) -> Complaint:
    """Move an open complaint along the workflow (investigating, action taken)."""
    now = now or timezone.now()
    locked = _locked(complaint)
    if status not in TRANSITIONS.get(locked.status, ()):
        after = ComplaintStatus(status).label if status in ComplaintStatus.values else status[:30]
        raise ValidationError({"status": _("A complaint cannot go from “%(before)s” to “%(after)s”.")
                               % {"before": locked.get_status_display(), "after": after}})  # fmt: skip
    if status == ComplaintStatus.ACTION_TAKEN and not locked.corrective_action.strip():
        raise ValidationError({"corrective_action": _("Record the corrective action first.")})
    before = locked.status
    locked.status = status
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "version", "updated_at"])
    _step(locked, ComplaintStep.STATUS, by, now, before=before, after=status, note=note)
    event_record(verb=COMPLAINT_STATUS, actor=by, customer_id=locked.customer_id, target=locked,
                 payload=_payload(locked, before=before, after=status))  # fmt: skip
    return locked


@transaction.atomic
def complaint_inform_customer(*, complaint: Complaint, by: Any, via: str, note: str = "", at: datetime | None = None) -> Complaint:
    """Record that the customer has been told about the outcome, how and when."""
    at = at or timezone.now()
    if via not in Channel.values:
        raise ValidationError({"via": _("Choose how the customer was informed.")})
    if at > timezone.now():
        raise ValidationError({"at": _("The customer cannot have been informed in the future.")})
    locked = _locked(complaint)
    if locked.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("This complaint is closed; reopen it first."))
    locked.customer_informed, locked.informed_at, locked.informed_via = True, at, via
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["customer_informed", "informed_at", "informed_via", "version", "updated_at"])
    _step(locked, ComplaintStep.INFORMED, by, at, note=note)
    event_record(verb=COMPLAINT_INFORMED, actor=by, customer_id=locked.customer_id, target=locked, channel=via,
                 payload=_payload(locked, note=note[:300]))  # fmt: skip
    return locked


@transaction.atomic
def complaint_confirm_close(
    *, complaint: Complaint, by: Any, confirmed_by: str, confirmed_at: datetime | None = None, note: str = ""
) -> Complaint:
    """Close the complaint, recording who at the customer confirmed it is settled and when."""
    now = timezone.now()
    confirmed_by = (confirmed_by or "").strip()
    errors: dict[str, str] = {}
    if not confirmed_by:
        errors["confirmed_by"] = _("A complaint closes only with the customer's confirmation: say who confirmed it.")
    if confirmed_at is None:
        errors["confirmed_at"] = _("Say when the customer confirmed it.")
    elif confirmed_at > now:
        errors["confirmed_at"] = _("The confirmation cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    assert confirmed_at is not None
    locked = _locked(complaint)
    if locked.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("This complaint is already closed."))
    if not locked.customer_informed:
        raise ValidationError(_("Inform the customer of the outcome before closing."))
    before = locked.status
    locked.status, locked.confirmed_by, locked.confirmed_at, locked.closed_at = (
        ComplaintStatus.CLOSED, confirmed_by[:100], confirmed_at, now)  # fmt: skip
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "closed_at", "version", "updated_at"])
    _step(locked, ComplaintStep.CONFIRMED, by, now, before=before, after=ComplaintStatus.CLOSED,
          note=f"{confirmed_by} {timezone.localtime(confirmed_at):%Y-%m-%d %H:%M}{' · ' if note else ''}{note}")  # fmt: skip
    event_record(verb=COMPLAINT_CLOSED, actor=by, customer_id=locked.customer_id, target=locked,
                 payload=_payload(locked, confirmed_by=confirmed_by[:100], confirmed_at=confirmed_at.isoformat()))  # fmt: skip
    return locked


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, by: Any, reason: str) -> Complaint:
    """Take a closed complaint back to investigation; the confirmation is kept in its history only."""
    now = timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the complaint is reopened.")})
    locked = _locked(complaint)
    if locked.status != ComplaintStatus.CLOSED:
        raise ValidationError(_("Only a closed complaint can be reopened."))
    locked.status = ComplaintStatus.INVESTIGATING
    locked.confirmed_by, locked.confirmed_at, locked.closed_at = "", None, None
    locked.customer_informed, locked.informed_at, locked.informed_via = False, None, ""
    locked.reopened += 1
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    _step(locked, ComplaintStep.REOPENED, by, now, before=ComplaintStatus.CLOSED, after=locked.status, note=reason)
    event_record(verb=COMPLAINT_REOPENED, actor=by, customer_id=locked.customer_id, target=locked,
                 payload=_payload(locked, reason=reason[:500]))  # fmt: skip
    return locked


def _link_label(request: ServiceRequest | None, touchpoint: Touchpoint | None) -> str:
    parts = [request.number] if request is not None else []
    if touchpoint is not None:
        parts.append(f"{timezone.localtime(touchpoint.occurred_at):%Y-%m-%d} {touchpoint.subject}")
    return "; ".join(parts)


@transaction.atomic
def complaint_link(*, complaint: Complaint, by: Any, request: ServiceRequest | None = None,
                   touchpoint: Touchpoint | None = None) -> Complaint:  # fmt: skip
    """Link a request or a touchpoint of the complaint's own customer to it (or one of each).

    Another customer's record, a deleted touchpoint or one already linked is refused on its field,
    and then nothing is linked."""
    if request is None and touchpoint is None:
        raise ValidationError(_("Choose a request or a touchpoint to link."))
    locked = _locked(complaint)
    errors: dict[str, str] = {}
    if request is not None:
        if request.customer_id != locked.customer_id:
            errors["request"] = _("This request belongs to another customer; only the complaint's customer's requests can be linked.")
        elif locked.requests.filter(pk=request.pk).exists():
            errors["request"] = _("Request %(number)s is already linked.") % {"number": request.number}
    if touchpoint is not None:
        if touchpoint.customer_id != locked.customer_id:
            errors["touchpoint"] = _("This touchpoint belongs to another customer; only the complaint's customer's touchpoints can "
                                     "be linked.")  # fmt: skip
        elif touchpoint.deleted_at is not None:
            errors["touchpoint"] = _("This touchpoint was deleted.")
        elif locked.touchpoints.filter(pk=touchpoint.pk).exists():
            errors["touchpoint"] = _("This touchpoint is already linked.")
    if errors:
        raise ValidationError(errors)
    if request is not None:
        locked.requests.add(request)
    if touchpoint is not None:
        locked.touchpoints.add(touchpoint)
    label = _link_label(request, touchpoint)
    _link_recorded(locked, by, COMPLAINT_LINKED, _("Linked: %(what)s") % {"what": label}, request, touchpoint, linked=label[:300])
    return locked


@transaction.atomic
def complaint_unlink(*, complaint: Complaint, by: Any, request: ServiceRequest | None = None,
                     touchpoint: Touchpoint | None = None) -> Complaint:  # fmt: skip
    """Take a linked request or touchpoint off the complaint. The request it was raised from stays."""
    if request is None and touchpoint is None:
        raise ValidationError(_("Choose a request or a touchpoint to unlink."))
    locked = _locked(complaint)
    errors: dict[str, str] = {}
    if request is not None:
        if request.pk == locked.raised_from_id:
            errors["request"] = _("The complaint was raised from request %(number)s; it stays linked.") % {"number": request.number}
        elif not locked.requests.filter(pk=request.pk).exists():
            errors["request"] = _("Request %(number)s is not linked to this complaint.") % {"number": request.number}
    if touchpoint is not None and not locked.touchpoints.filter(pk=touchpoint.pk).exists():
        errors["touchpoint"] = _("This touchpoint is not linked to this complaint.")
    if errors:
        raise ValidationError(errors)
    if request is not None:
        locked.requests.remove(request)
    if touchpoint is not None:
        locked.touchpoints.remove(touchpoint)
    label = _link_label(request, touchpoint)
    _link_recorded(locked, by, COMPLAINT_UNLINKED, _("Unlinked: %(what)s") % {"what": label}, request, touchpoint,
                   unlinked=label[:300])  # fmt: skip
    return locked


def _link_recorded(complaint: Complaint, by: Any, verb: str, note: str, request: ServiceRequest | None,
                   touchpoint: Touchpoint | None, **extra: Any) -> None:  # fmt: skip
    """The history step and the event of a link or an unlink."""
    _step(complaint, ComplaintStep.UPDATED, by, timezone.now(), note=note)
    event_record(verb=verb, actor=by, customer_id=complaint.customer_id, target=complaint,
                 payload=_payload(complaint, request=request.number if request else "",
                                  touchpoint=touchpoint.pk if touchpoint else None, **extra))  # fmt: skip
