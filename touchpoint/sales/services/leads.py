"""Every write to leads: create (by hand, import, web form, from a touchpoint), edit, assign, qualify,
disqualify and reopen; and the duplicate check against existing customers and contacts.

A lead's events carry the customer key once a customer is known: the touchpoint's customer for a
lead raised from a touchpoint, the qualified customer after qualifying; before that it is None.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from touchpoint.core.events import event_record, event_type
from touchpoint.core.identifiers import (
    LANDLINE,
    MOBILE,
    normalise_credit_code,
    normalise_phone,
    validate_credit_code,
)
from touchpoint.core.models import EventKind
from touchpoint.core.notifications import notify
from touchpoint.core.search import index_tokens, is_searchable, search_filter
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.customers.models import Contact, Customer, CustomerSource, CustomerType
from touchpoint.customers.services import contact_create, customer_create
from touchpoint.org.models import Position, User
from touchpoint.sales.models import Lead, LeadSource, LeadStatus, Opportunity
from touchpoint.sales.services.opportunities import opportunity_create

LEAD_CREATED = event_type("lead.created", kind=EventKind.SALES, label=gettext_lazy("New lead"))
LEAD_UPDATED = event_type("lead.updated", kind=EventKind.CHANGE, label=gettext_lazy("Lead updated"))
LEAD_ASSIGNED = event_type("lead.assigned", kind=EventKind.HANDOFF, label=gettext_lazy("Lead owner changed"))
LEAD_QUALIFIED = event_type("lead.qualified", kind=EventKind.SALES, label=gettext_lazy("Lead qualified"))
LEAD_DISQUALIFIED = event_type("lead.disqualified", kind=EventKind.SALES, label=gettext_lazy("Lead disqualified"))
LEAD_REOPENED = event_type("lead.reopened", kind=EventKind.SALES, label=gettext_lazy("Lead reopened"))
LEAD_DELETED = event_type("lead.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Lead deleted"))

LEAD_FIELDS = (
    "company_name", "credit_code", "province", "city", "contact_name", "contact_title", "phone", "email", "interest",
)  # fmt: skip
CLOSED = (LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)
IMPORT_ROW_LIMIT = 2000
MATCH_LIMIT = 10
# Legal-form endings that differ between two spellings of one company; matching by name ignores them.
COMPANY_ENDINGS = re.compile(r"(股份有限公司|有限责任公司|有限公司|股份公司|集团|公司|co\.?,?\s*ltd\.?|ltd\.?|inc\.?)$", re.I)


# --- Cleaning and checks -------------------------------------------------------------------


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in values.items() if k in LEAD_FIELDS}
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = value.strip()
        elif value is None:
            values[key] = ""
    if "credit_code" in values:
        values["credit_code"] = normalise_credit_code(values["credit_code"])
    if "phone" in values:
        values["phone"] = normalise_phone(values["phone"])
    if "email" in values:
        values["email"] = values["email"].lower()
    return values


def _check(lead: Lead) -> None:
    """Field errors the model's own validation does not give: the credit code, the phone, a way to reach them."""
    errors: dict[str, Any] = {}
    if lead.credit_code:
        try:
            validate_credit_code(lead.credit_code)
        except ValidationError as error:
            errors["credit_code"] = error.messages
    if lead.phone and not (MOBILE.match(lead.phone) or LANDLINE.match(lead.phone)):
        errors["phone"] = [_("Enter a mobile number (e.g. 13812345678) or a landline with its area code (e.g. 021-68881234).")]
    if lead.email:
        try:
            validate_email(lead.email)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    if not lead.phone and not lead.email and "phone" not in errors:
        errors["phone"] = [_("Give a phone number or an email address, so that someone can get back to them.")]
    try:
        lead.full_clean(exclude=["deleted_by", "owner", "created_by", "touchpoint", "customer", "contact", "opportunity"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


def lead_values_check(values: dict[str, Any]) -> None:
    """The checks lead_create makes, for a form that wants every field's error at once."""
    _check(Lead(**_clean(values)))


def field_label(name: str) -> str:
    return str(getattr(Lead._meta.get_field(name), "verbose_name", name))


def lead_search_text(lead: Lead) -> str:
    return index_tokens(
        names=[lead.company_name, lead.contact_name], phones=[lead.phone], emails=[lead.email], codes=[lead.credit_code]
    )


def _customer_key(lead: Lead) -> int | None:
    if lead.customer_id:
        return lead.customer_id
    if lead.touchpoint_id and lead.touchpoint is not None:
        return lead.touchpoint.customer_id
    return None


def _refuse_if_closed(lead: Lead) -> None:
    if lead.status in CLOSED:
        raise ValidationError(
            {"status": _("This lead is already %(status)s; nothing more can be done with it.")
             % {"status": lead.get_status_display().lower()}}
        )  # fmt: skip


def sales_managers() -> list[User]:
    return list(User.objects.filter(is_active=True, memberships__position=Position.SALES_MANAGER).distinct().order_by("pk"))


def _notify_managers(*, key: str, text: str, params: dict[str, Any], url: str) -> None:
    """One in-app notice per sales manager, in the manager's language; the key makes it once only."""
    for manager in sales_managers():
        with translation.override(manager.language or settings.LANGUAGE_CODE):
            notify(manager.pk, key, _(text) % params, url)


# --- Create, edit ------------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *,
    by: Any,
    source: str = LeadSource.MANUAL,
    owner: Any = None,
    touchpoint: Any = None,
    submitted_from: str | None = None,
    notify: bool = True,
    **values: Any,
) -> Lead:
    """Record a new lead. Without an owner it waits, unassigned, for a sales manager to hand it out."""
    if source not in LeadSource.values:
        raise ValidationError({"source": _("Choose a source from the list.")})
    if source == LeadSource.TOUCHPOINT and touchpoint is None:
        raise ValidationError({"touchpoint": _("A lead from a touchpoint needs the touchpoint.")})
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": _("The owner is deactivated.")})
    lead = Lead(
        source=source, owner=owner, created_by=by if getattr(by, "pk", None) else None, touchpoint=touchpoint,
        submitted_from=submitted_from, status=LeadStatus.NEW, **_clean(values),
    )  # fmt: skip
    _check(lead)
    lead.search_text = lead_search_text(lead)
    lead._history_user = by if getattr(by, "pk", None) else None  # type: ignore[attr-defined]
    lead.save()
    event_record(
        verb=LEAD_CREATED, actor=lead.created_by, customer_id=_customer_key(lead), target=lead,
        payload={"name": lead.company_name, "contact": lead.contact_name, "source": source,
                 "owner": str(owner) if owner else ""},
    )  # fmt: skip
    if owner is None and notify:
        _notify_managers(
            key=f"lead:{lead.pk}:new", text=gettext_noop("New lead waiting to be assigned: %(company)s (%(source)s)"),
            params={"company": lead.company_name, "source": LeadSource(source).label},
            url=reverse("sales:lead_detail", args=[lead.pk]),
        )  # fmt: skip
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, by: Any, expected_version: int, **values: Any) -> tuple[Lead, list[FieldChange]]:
    _refuse_if_closed(lead)
    values = _clean(values)
    candidate = Lead(**{name: getattr(lead, name) for name in LEAD_FIELDS})
    for name, value in values.items():
        setattr(candidate, name, value)
    _check(candidate)
    lead._history_user = by  # type: ignore[attr-defined]
    if lead.status == LeadStatus.NEW:
        values["status"] = LeadStatus.WORKING
    updated, diff = edit_apply(instance=lead, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Lead)
    if diff:
        Lead.all_objects.filter(pk=updated.pk).update(search_text=lead_search_text(updated))
        event_record(
            verb=LEAD_UPDATED, actor=by, customer_id=_customer_key(updated), target=updated,
            payload={"name": updated.company_name,
                     "changes": [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in diff]},
        )  # fmt: skip
    return updated, diff


@transaction.atomic
def lead_assign(*, lead: Lead, owner: Any, by: Any, reason: str = "") -> Lead:
    """Hand the lead to an owner. Taking an unassigned lead needs no reason; moving it from someone does."""
    reason = (reason or "").strip()
    locked = Lead.objects.select_for_update(of=("self",)).select_related("owner", "touchpoint").get(pk=lead.pk)
    _refuse_if_closed(locked)
    if not owner.is_active:
        raise ValidationError({"owner": _("The new owner is deactivated.")})
    previous = locked.owner
    if previous is not None and previous.pk == owner.pk:
        return locked
    if previous is not None and not reason:
        raise ValidationError({"reason": _("Say why the lead changes hands.")})
    locked.owner = owner
    if locked.status == LeadStatus.NEW:
        locked.status = LeadStatus.WORKING
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["owner", "status", "version", "updated_at"])
    event_record(
        verb=LEAD_ASSIGNED, actor=by, customer_id=_customer_key(locked), target=locked,
        payload={
            "name": locked.company_name, "from": str(previous or ""), "from_id": previous.pk if previous else None,
            "from_department": str(previous.department or "") if previous else "", "to": str(owner), "to_id": owner.pk,
            "to_department": str(owner.department or ""), "reason": reason[:500],
        },
    )  # fmt: skip
    if owner.pk != getattr(by, "pk", None):
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            notify(owner.pk, f"lead:{locked.pk}:assigned:{owner.pk}:{locked.version}",
                   _("%(user)s gave you a lead: %(company)s") % {"user": by, "company": locked.company_name},
                   reverse("sales:lead_detail", args=[locked.pk]))  # fmt: skip
    return locked


# --- Duplicates ----------------------------------------------------------------------------


@dataclass
class Match:
    record: Any
    reasons: list[str] = field(default_factory=list)


@dataclass
class LeadMatches:
    customers: list[Match] = field(default_factory=list)
    contacts: list[Match] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.customers or self.contacts)

    def only(self, customer_ids: set[int], contact_ids: set[int]) -> "LeadMatches":
        """The matches among these ids (those the reader may see)."""
        return LeadMatches(
            customers=[m for m in self.customers if m.record.pk in customer_ids],
            contacts=[m for m in self.contacts if m.record.pk in contact_ids],
        )


def core_company_name(name: str) -> str:
    """华泰证券股份有限公司 → 华泰证券: the part two spellings of one company share."""
    text = (name or "").strip()
    for _round in range(2):
        text = COMPANY_ENDINGS.sub("", text).strip(" ,.，")
    return text or (name or "").strip()


def find_matches(*, company_name: str = "", credit_code: str = "", phone: str = "", email: str = "") -> LeadMatches:
    """Existing customers and contacts that look like this lead, each with why it matched."""
    found = LeadMatches()
    customers: dict[int, Match] = {}
    credit_code = normalise_credit_code(credit_code)
    if len(credit_code) == 18:
        for customer in Customer.objects.filter(credit_code=credit_code)[:MATCH_LIMIT]:
            customers.setdefault(customer.pk, Match(customer)).reasons.append(str(_("same credit code")))
    core = core_company_name(company_name)
    if core and is_searchable(core):
        for customer in search_filter(Customer.objects.all(), core).order_by("pk")[:MATCH_LIMIT]:
            customers.setdefault(customer.pk, Match(customer)).reasons.append(str(_("similar name")))
    found.customers = list(customers.values())[:MATCH_LIMIT]

    contacts: dict[int, Match] = {}
    phone = normalise_phone(phone)
    if MOBILE.match(phone):
        for contact in Contact.objects.filter(mobile=phone).select_related("customer")[:MATCH_LIMIT]:
            contacts.setdefault(contact.pk, Match(contact)).reasons.append(str(_("same phone")))
    elif LANDLINE.match(phone):
        digits = re.sub(r"\D", "", phone)
        by_index = search_filter(Contact.objects.all(), digits).filter(landline=phone)
        for contact in by_index.select_related("customer")[:MATCH_LIMIT]:
            contacts.setdefault(contact.pk, Match(contact)).reasons.append(str(_("same phone")))
    email = (email or "").strip().lower()
    if email and "@" in email:
        same_email = Contact.objects.filter(Q(email=email) | Q(email_alt=email)).select_related("customer")
        for contact in same_email[:MATCH_LIMIT]:
            contacts.setdefault(contact.pk, Match(contact)).reasons.append(str(_("same email")))
    found.contacts = list(contacts.values())[:MATCH_LIMIT]
    return found


def lead_matches(lead: Lead) -> LeadMatches:
    return find_matches(company_name=lead.company_name, credit_code=lead.credit_code, phone=lead.phone, email=lead.email)


# --- Qualify, disqualify, reopen, delete ---------------------------------------------------


def _contact_values(lead: Lead) -> dict[str, Any]:
    values: dict[str, Any] = {"name": lead.contact_name, "title": lead.contact_title, "email": lead.email}
    if MOBILE.match(lead.phone):
        values["mobile"] = lead.phone
    elif lead.phone:
        values["landline"] = lead.phone
    return values


@transaction.atomic
def lead_qualify(
    *,
    lead: Lead,
    by: Any,
    title: str,
    close_date: date,
    amount: Decimal = Decimal(0),
    owner: Any = None,
    customer: Customer | None = None,
    contact: Contact | None = None,
    customer_type: str = CustomerType.OTHER,
) -> Lead:
    """Turn the lead into a customer, a contact and an opportunity, reusing the customer or contact given.

    All or nothing: a refused customer (a credit code another customer holds), contact or
    opportunity leaves the lead open and writes nothing.
    """
    locked = Lead.objects.select_for_update(of=("self",)).select_related("touchpoint").get(pk=lead.pk)
    _refuse_if_closed(locked)
    owner = owner or locked.owner or by
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the opportunity a title.")})
    if contact is not None and customer is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("This contact works at another customer.")})
    if contact is not None and customer is None:
        customer = contact.customer
    reused_customer = customer is not None
    if customer is None:
        if customer_type not in CustomerType.values:
            raise ValidationError({"customer_type": _("Choose a customer type from the list.")})
        customer = customer_create(
            by=by, owner=owner, name=locked.company_name, credit_code=locked.credit_code, customer_type=customer_type,
            province=locked.province, city=locked.city,
            source=CustomerSource.WEBSITE if locked.source == LeadSource.WEB_FORM else "",
        )  # fmt: skip
    reused_contact = contact is not None
    if contact is None and locked.contact_name:
        contact = contact_create(by=by, customer=customer, **_contact_values(locked))
    opportunity: Opportunity = opportunity_create(
        by=by, customer=customer, title=title, owner=owner, close_date=close_date, amount=amount
    )
    locked.status = LeadStatus.QUALIFIED
    locked.qualified_at = timezone.now()
    locked.customer, locked.contact, locked.opportunity = customer, contact, opportunity
    if locked.owner_id is None:
        locked.owner = owner
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    event_record(
        verb=LEAD_QUALIFIED, actor=by, customer_id=customer.pk, target=locked,
        payload={"name": locked.company_name, "customer": customer.name, "customer_reused": reused_customer,
                 "contact": contact.name if contact else "", "contact_reused": reused_contact,
                 "opportunity": opportunity.title, "opportunity_id": opportunity.pk},
    )  # fmt: skip
    return locked


@transaction.atomic
def lead_disqualify(*, lead: Lead, by: Any, reason: str) -> Lead:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the lead is disqualified.")})
    locked = Lead.objects.select_for_update(of=("self",)).select_related("touchpoint").get(pk=lead.pk)
    _refuse_if_closed(locked)
    locked.status = LeadStatus.DISQUALIFIED
    locked.disqualify_reason = reason[:500]
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    event_record(verb=LEAD_DISQUALIFIED, actor=by, customer_id=_customer_key(locked), target=locked,
                 payload={"name": locked.company_name, "reason": locked.disqualify_reason})  # fmt: skip
    return locked


@transaction.atomic
def lead_reopen(*, lead: Lead, by: Any) -> Lead:
    """Take a disqualified lead up again; a qualified one has become a customer and stays closed."""
    locked = Lead.objects.select_for_update(of=("self",)).select_related("touchpoint").get(pk=lead.pk)
    if locked.status != LeadStatus.DISQUALIFIED:
        raise ValidationError({"status": _("Only a disqualified lead can be reopened.")})
    previous_reason = locked.disqualify_reason
    locked.status = LeadStatus.WORKING
    locked.disqualify_reason = ""
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    event_record(verb=LEAD_REOPENED, actor=by, customer_id=_customer_key(locked), target=locked,
                 payload={"name": locked.company_name, "previous_reason": previous_reason})  # fmt: skip
    return locked


@transaction.atomic
def lead_delete(*, lead: Lead, by: Any) -> None:
    lead.mark_deleted(by)
    event_record(verb=LEAD_DELETED, actor=by, customer_id=_customer_key(lead), target=lead,
                 payload={"name": lead.company_name})  # fmt: skip


# --- Import --------------------------------------------------------------------------------


class ImportRefused(ValidationError):
    """Some rows are invalid; `rows` lists (row number, field, message) and nothing was written."""

    def __init__(self, rows: list[tuple[int, str, str]]) -> None:
        self.rows = rows
        super().__init__(_("Nothing was imported: %(count)d problem(s) to fix first.") % {"count": len(rows)})


@transaction.atomic
def lead_import(*, by: Any, rows: list[dict[str, Any]], owner: Any = None, first_row: int = 2) -> list[Lead]:
    """Create one lead per row, or none at all: every row is checked before the first is written.

    `first_row` is the spreadsheet row number of rows[0] (after the header), for the error report.
    """
    if not rows:
        raise ImportRefused([(0, "", str(_("The file has no rows under its header.")))])
    if len(rows) > IMPORT_ROW_LIMIT:
        raise ImportRefused([(0, "", str(_("At most %(limit)d rows per file.") % {"limit": IMPORT_ROW_LIMIT}))])
    problems: list[tuple[int, str, str]] = []
    for number, row in enumerate(rows, start=first_row):
        candidate = Lead(source=LeadSource.IMPORT, **_clean(row))
        try:
            _check(candidate)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = field_label(name) if name in LEAD_FIELDS else name
                problems.extend((number, label, message) for message in messages)
    if problems:
        raise ImportRefused(problems)
    created = [lead_create(by=by, source=LeadSource.IMPORT, owner=owner, notify=False, **row) for row in rows]
    if owner is None:
        _notify_managers(
            key=f"lead-import:{created[0].pk}", text=gettext_noop("Imported leads waiting to be assigned: %(count)d"),
            params={"count": len(created)}, url=reverse("sales:lead_list") + "?owner=none",
        )  # fmt: skip
    return created
