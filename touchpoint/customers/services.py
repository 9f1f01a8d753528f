"""Every write to customers, contacts and account teams.

Each service is atomic, checks before it writes, and appends its events.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.extensions import contact_merge_hooks, customer_merge_hooks
from touchpoint.core.identifiers import normalise_credit_code, normalise_phone
from touchpoint.core.models import EventKind
from touchpoint.core.search import index_tokens
from touchpoint.core.versioning import FieldChange, edit_apply
from touchpoint.customers.models import AccountMember, AccountRole, Contact, ContactStatus, Customer, Tag

CUSTOMER_CREATED = event_type("customer.created", kind=EventKind.STRUCTURE, label=gettext_lazy("Customer created"))
CUSTOMER_UPDATED = event_type("customer.updated", kind=EventKind.CHANGE, label=gettext_lazy("Customer updated"))
CUSTOMER_DELETED = event_type("customer.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Customer deleted"))
CUSTOMER_RESTORED = event_type("customer.restored", kind=EventKind.CHANGE, label=gettext_lazy("Customer restored"))
CUSTOMER_REASSIGNED = event_type(
    "customer.reassigned", kind=EventKind.HANDOFF, label=gettext_lazy("Customer owner changed")
)
BRANCH_ADDED = event_type("customer.branch_added", kind=EventKind.STRUCTURE, label=gettext_lazy("New branch"))
BRANCH_REMOVED = event_type(
    "customer.branch_removed", kind=EventKind.STRUCTURE, label=gettext_lazy("Branch moved away")
)
PARENT_CHANGED = event_type(
    "customer.parent_changed", kind=EventKind.STRUCTURE, label=gettext_lazy("Parent company changed")
)
TEAM_CHANGED = event_type("customer.team_changed", kind=EventKind.STRUCTURE, label=gettext_lazy("Account team changed"))
CUSTOMER_MERGED = event_type("customer.merged", kind=EventKind.STRUCTURE, label=gettext_lazy("Customers merged"))
CONTACT_CREATED = event_type("contact.created", kind=EventKind.STRUCTURE, label=gettext_lazy("New contact"))
CONTACT_UPDATED = event_type("contact.updated", kind=EventKind.CHANGE, label=gettext_lazy("Contact updated"))
CONTACT_LEFT = event_type("contact.left", kind=EventKind.STRUCTURE, label=gettext_lazy("Contact left the company"))
CONTACT_DELETED = event_type("contact.deleted", kind=EventKind.CHANGE, label=gettext_lazy("Contact deleted"))
CONTACT_RESTORED = event_type("contact.restored", kind=EventKind.CHANGE, label=gettext_lazy("Contact restored"))
CONTACT_MERGED = event_type("contact.merged", kind=EventKind.STRUCTURE, label=gettext_lazy("Contacts merged"))

CUSTOMER_FIELDS = (
    "name", "short_name", "credit_code", "customer_type", "province", "city", "size_tier",
    "status", "parent", "source", "notes",
)  # fmt: skip
CONTACT_FIELDS = (
    "name", "title", "department_name", "decision_role", "mobile", "landline", "email", "email_alt",
    "wechat_id", "preferred_channel", "do_not_contact", "status", "left_on", "notes",
)  # fmt: skip


def _changes_payload(diff: list[FieldChange]) -> dict[str, Any]:
    return {"changes": [{"field": c.field, "label": c.label, "old": c.old, "new": c.new} for c in diff]}


def customer_search_text(customer: Customer) -> str:
    return index_tokens(names=[customer.name, customer.short_name], codes=[customer.credit_code])


def contact_search_text(contact: Contact) -> str:
    return index_tokens(
        names=[contact.name],
        phones=[contact.mobile, contact.landline],
        emails=[contact.email, contact.email_alt],
    )


def _clean_customer_values(values: dict[str, Any]) -> dict[str, Any]:
    if "credit_code" in values:
        values["credit_code"] = normalise_credit_code(values["credit_code"] or "")
    for key in ("name", "short_name", "city"):
        if key in values and isinstance(values[key], str):
            values[key] = values[key].strip()
    return values


def _check_parent(customer: Customer, parent: Customer | None) -> None:
    seen = set()
    node = parent
    while node is not None:
        if node.pk == customer.pk or node.pk in seen:
            raise ValidationError({"parent": _("A customer cannot be its own parent or a branch of its branch.")})
        seen.add(node.pk)
        node = node.parent


def _check_credit_code_free(code: str, exclude_pk: int | None = None) -> None:
    if not code:
        return
    clash = Customer.objects.filter(credit_code=code).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"credit_code": _("Another customer already has this credit code.")})


@transaction.atomic
def customer_create(*, by: Any, owner: Any, tags: list[Tag] | None = None, **values: Any) -> Customer:
    values = _clean_customer_values({k: v for k, v in values.items() if k in CUSTOMER_FIELDS})
    customer = Customer(owner=owner, **values)
    customer.full_clean(exclude=["deleted_by"], validate_constraints=False)
    _check_credit_code_free(customer.credit_code)
    customer.search_text = customer_search_text(customer)
    customer._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as clash:
        # Two people registering the same company at the same moment: the constraint decides.
        raise ValidationError({"credit_code": _("Another customer already has this credit code.")}) from clash
    if tags:
        customer.tags.set(tags)
    AccountMember.objects.create(customer=customer, user=owner, role=AccountRole.ACCOUNT_MANAGER)
    event_record(
        verb=CUSTOMER_CREATED, actor=by, customer_id=customer.pk, target=customer,
        payload={"name": customer.name, "owner": str(owner)},
    )  # fmt: skip
    if customer.parent_id:
        event_record(
            verb=BRANCH_ADDED, actor=by, customer_id=customer.parent_id, target=customer,
            payload={"branch": customer.name},
        )  # fmt: skip
    return customer


@transaction.atomic
def customer_update(
    *, customer: Customer, by: Any, expected_version: int, tags: list[Tag] | None = None, **values: Any
) -> tuple[Customer, list[FieldChange]]:
    """Edit a customer's profile. The owner changes only through `customer_reassign`."""
    values = _clean_customer_values({k: v for k, v in values.items() if k in CUSTOMER_FIELDS})
    if "parent" in values:
        _check_parent(customer, values["parent"])
    if "credit_code" in values:
        _check_credit_code_free(values["credit_code"], exclude_pk=customer.pk)
    old_parent_id = customer.parent_id
    customer._history_user = by  # type: ignore[attr-defined]
    updated, diff = edit_apply(instance=customer, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Customer)
    if tags is not None:
        before = set(updated.tags.values_list("pk", flat=True))
        if before != {t.pk for t in tags}:
            updated.tags.set(tags)
            diff.append(
                FieldChange(field="tags", label=str(Customer._meta.get_field("tags").verbose_name),
                            old="", new=", ".join(t.name for t in tags))
            )  # fmt: skip
    if diff:
        updated.search_text = customer_search_text(updated)
        Customer.all_objects.filter(pk=updated.pk).update(search_text=updated.search_text)
        event_record(
            verb=CUSTOMER_UPDATED, actor=by, customer_id=updated.pk, target=updated, payload=_changes_payload(diff)
        )
    if updated.parent_id != old_parent_id:
        event_record(
            verb=PARENT_CHANGED, actor=by, customer_id=updated.pk, target=updated,
            payload={"old": str(Customer.all_objects.filter(pk=old_parent_id).first() or ""),
                     "new": str(updated.parent or "")},
        )  # fmt: skip
        if old_parent_id:
            event_record(verb=BRANCH_REMOVED, actor=by, customer_id=old_parent_id, target=updated,
                         payload={"branch": updated.name})  # fmt: skip
        if updated.parent_id:
            event_record(verb=BRANCH_ADDED, actor=by, customer_id=updated.parent_id, target=updated,
                         payload={"branch": updated.name})  # fmt: skip
    return updated, diff


@transaction.atomic
def customer_reassign(*, customer: Customer, owner: Any, by: Any, reason: str) -> Customer:
    """Hand a customer to a new owner; the handoff is logged with from, to, department and reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the customer changes hands.")})
    if not owner.is_active:
        raise ValidationError({"owner": _("The new owner is deactivated.")})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    previous = locked.owner
    if previous.pk == owner.pk:
        return locked
    locked.owner = owner
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["owner", "version", "updated_at"])
    AccountMember.objects.filter(customer=locked, user=previous, role=AccountRole.ACCOUNT_MANAGER).delete()
    AccountMember.objects.update_or_create(
        customer=locked, user=owner, defaults={"role": AccountRole.ACCOUNT_MANAGER}
    )
    event_record(
        verb=CUSTOMER_REASSIGNED, actor=by, customer_id=locked.pk, target=locked,
        payload={
            "from": str(previous), "from_id": previous.pk,
            "from_department": previous.department.name if previous.department else "",
            "to": str(owner), "to_id": owner.pk, "to_department": owner.department.name if owner.department else "",
            "reason": reason[:500],
        },
    )  # fmt: skip
    return locked


def customer_bulk_reassign(*, customers: list[Customer], owner: Any, by: Any, reason: str) -> int:
    """Reassign many customers in one transaction, in id order so concurrent runs lock alike."""
    with transaction.atomic():
        moved = 0
        for customer in sorted(customers, key=lambda c: c.pk):
            before = customer.owner_id
            customer_reassign(customer=customer, owner=owner, by=by, reason=reason)
            moved += before != owner.pk
        return moved


@transaction.atomic
def customer_delete(*, customer: Customer, by: Any) -> Customer:
    if Customer.objects.filter(parent=customer).exists():
        raise ValidationError(_("This customer still has branches; move or delete them first."))
    customer.mark_deleted(by)
    event_record(verb=CUSTOMER_DELETED, actor=by, customer_id=customer.pk, target=customer, payload={"name": customer.name})
    return customer


@transaction.atomic
def customer_restore(*, customer: Customer, by: Any) -> Customer:
    _check_credit_code_free(customer.credit_code, exclude_pk=customer.pk)
    customer.mark_restored(by)
    event_record(verb=CUSTOMER_RESTORED, actor=by, customer_id=customer.pk, target=customer, payload={"name": customer.name})
    return customer


@transaction.atomic
def account_member_set(*, customer: Customer, user: Any, role: str, by: Any) -> AccountMember:
    member, created = AccountMember.objects.update_or_create(customer=customer, user=user, defaults={"role": role})
    event_record(
        verb=TEAM_CHANGED, actor=by, customer_id=customer.pk, target=customer,
        payload={"added" if created else "changed": str(user), "role": role},
    )  # fmt: skip
    return member


@transaction.atomic
def account_member_remove(*, customer: Customer, user: Any, by: Any) -> None:
    if user.pk == customer.owner_id:
        raise ValidationError(_("The owner stays on the account team; reassign the customer first."))
    deleted, _rows = AccountMember.objects.filter(customer=customer, user=user).delete()
    if deleted:
        event_record(verb=TEAM_CHANGED, actor=by, customer_id=customer.pk, target=customer, payload={"removed": str(user)})


def account_member_grant(*, customer: Customer, user: Any, role: str, expires_with: str, by: Any) -> bool:
    """Put someone on the account team for as long as `expires_with` (e.g. "project:12") lasts.

    A standing member keeps their standing membership; True when a membership was added."""
    if AccountMember.objects.filter(customer=customer, user=user).exists():
        return False
    AccountMember.objects.create(customer=customer, user=user, role=role, expires_with=expires_with)
    event_record(verb=TEAM_CHANGED, actor=by, customer_id=customer.pk, target=customer,
                 payload={"added": str(user), "role": role, "until": expires_with})  # fmt: skip
    return True


def account_members_expire(
    *, expires_with: str, by: Any, keep: dict[int, str] | None = None, user: Any = None
) -> list[str]:
    """End the memberships granted for `expires_with` (only `user`'s when given). `keep` maps user ids
    to another grant that still holds (the same person on another running project of the customer):
    those memberships move to it instead."""
    keep = keep or {}
    ended = []
    members = AccountMember.objects.filter(expires_with=expires_with).select_related("user", "customer")
    if user is not None:
        members = members.filter(user=user)
    for member in members:
        if member.user_id in keep:
            AccountMember.objects.filter(pk=member.pk).update(expires_with=keep[member.user_id])
            continue
        member.delete()
        ended.append(str(member.user))
        event_record(verb=TEAM_CHANGED, actor=by, customer_id=member.customer_id, target=member.customer,
                     payload={"removed": str(member.user), "until": expires_with})  # fmt: skip
    return ended


SERVICE_HANDOFF = event_type(
    "customer.service_handoff", kind=EventKind.HANDOFF, label=gettext_lazy("Service relationship handed over")
)


@transaction.atomic
def customer_service_handoff(*, customer: Customer, to_user: Any, to_department: Any, by: Any, reason: str) -> Customer:
    """Move who answers for the customer's service (the project manager, then the maintenance centre).

    The move is a handoff event with from, to, both departments and the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the service relationship changes hands.")})
    locked = (
        Customer.objects.select_for_update(of=("self",)).select_related("service_owner", "service_department").get(pk=customer.pk)
    )
    before_user, before_department = locked.service_owner, locked.service_department
    if before_user == to_user and before_department == to_department:
        return locked
    Customer.objects.filter(pk=locked.pk).update(service_owner=to_user, service_department=to_department)
    locked.service_owner, locked.service_department = to_user, to_department
    event_record(
        verb=SERVICE_HANDOFF, actor=by, customer_id=locked.pk, target=locked,
        department_id=to_department.pk if to_department else None,
        payload={
            "from": str(before_user or ""), "from_id": before_user.pk if before_user else None,
            "from_department": str(before_department or ""),
            "to": str(to_user or ""), "to_id": to_user.pk if to_user else None,
            "to_department": str(to_department or ""), "reason": reason[:500],
        },
    )  # fmt: skip
    return locked


def contact_duplicates(
    *, customer: Customer | None, name: str, mobile: str = "", email: str = "", exclude_pk: int | None = None
) -> list[Contact]:
    """Contacts that look like the same person: same mobile, same email, or same name at the customer."""
    condition = Q(pk__in=[])
    mobile = normalise_phone(mobile)
    if mobile:
        condition |= Q(mobile=mobile)
    email = (email or "").strip().lower()  # stored lowercased, so an exact match can use the index
    if email:
        condition |= Q(email=email) | Q(email_alt=email)
    if customer is not None and name.strip():
        condition |= Q(customer=customer, name=name.strip())
    found = Contact.objects.filter(condition).select_related("customer")
    if exclude_pk:
        found = found.exclude(pk=exclude_pk)
    return list(found.order_by("id")[:10])


def _clean_contact_values(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("mobile", "landline"):
        if values.get(key):
            values[key] = normalise_phone(values[key])
    for key in ("name", "title", "department_name", "wechat_id"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    for key in ("email", "email_alt"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip().lower()
    return values


@transaction.atomic
def contact_create(*, by: Any, customer: Customer, **values: Any) -> Contact:
    values = _clean_contact_values({k: v for k, v in values.items() if k in CONTACT_FIELDS})
    contact = Contact(customer=customer, **values)
    contact.full_clean(exclude=["deleted_by"])
    contact.search_text = contact_search_text(contact)
    contact._history_user = by  # type: ignore[attr-defined]
    contact.save()
    event_record(
        verb=CONTACT_CREATED, actor=by, customer_id=customer.pk, target=contact,
        payload={"name": contact.name, "title": contact.title},
    )  # fmt: skip
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, by: Any, expected_version: int, **values: Any
) -> tuple[Contact, list[FieldChange]]:
    values = _clean_contact_values({k: v for k, v in values.items() if k in CONTACT_FIELDS})
    was_active = contact.status == ContactStatus.ACTIVE
    if values.get("status") == ContactStatus.LEFT and not values.get("left_on") and not contact.left_on:
        values["left_on"] = timezone.localdate()
    contact._history_user = by  # type: ignore[attr-defined]
    updated, diff = edit_apply(instance=contact, changes=values, expected_version=expected_version, by=by)
    assert isinstance(updated, Contact)
    if diff:
        updated.search_text = contact_search_text(updated)
        Contact.all_objects.filter(pk=updated.pk).update(search_text=updated.search_text)
        event_record(
            verb=CONTACT_UPDATED, actor=by, customer_id=updated.customer_id, target=updated,
            payload={"name": updated.name, **_changes_payload(diff)},
        )  # fmt: skip
    if was_active and updated.status == ContactStatus.LEFT:
        event_record(
            verb=CONTACT_LEFT, actor=by, customer_id=updated.customer_id, target=updated,
            payload={"name": updated.name, "title": updated.title},
        )  # fmt: skip
    return updated, diff


@transaction.atomic
def contact_delete(*, contact: Contact, by: Any) -> Contact:
    contact.mark_deleted(by)
    event_record(verb=CONTACT_DELETED, actor=by, customer_id=contact.customer_id, target=contact, payload={"name": contact.name})
    return contact


@transaction.atomic
def contact_restore(*, contact: Contact, by: Any) -> Contact:
    contact.mark_restored(by)
    event_record(verb=CONTACT_RESTORED, actor=by, customer_id=contact.customer_id, target=contact, payload={"name": contact.name})
    return contact


MERGE_FILL_FIELDS = (
    "title", "department_name", "decision_role", "mobile", "landline", "email", "email_alt", "wechat_id", "preferred_channel",
)  # fmt: skip


@transaction.atomic
def contact_merge(*, keep: Contact, duplicate: Contact, by: Any) -> Contact:
    """Fold `duplicate` into `keep`: every touchpoint and follow-up moves over; empty fields are filled."""
    if keep.pk == duplicate.pk:
        raise ValidationError(_("A contact cannot be merged into itself."))
    first, second = sorted([keep, duplicate], key=lambda c: c.pk)
    Contact.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk").count()
    moved: dict[str, int] = {}
    for hook in contact_merge_hooks.values():
        moved.update(hook(keep=keep, duplicate=duplicate, by=by))
    filled = []
    for name in MERGE_FILL_FIELDS:
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
            filled.append(name)
    if filled:
        keep.version += 1
        keep.search_text = contact_search_text(keep)
        keep._history_user = by  # type: ignore[attr-defined]
        keep.save()
    duplicate.mark_deleted(by)
    event_record(
        verb=CONTACT_MERGED, actor=by, customer_id=keep.customer_id, target=keep,
        payload={"kept": keep.name, "merged": duplicate.name, "merged_id": duplicate.pk,
                 "moved": moved, "filled": filled},
    )  # fmt: skip
    return keep


@transaction.atomic
def customer_merge(*, keep: Customer, duplicate: Customer, by: Any, reason: str) -> Customer:
    """Fold `duplicate` into `keep` (a merger, or the same company entered twice).

    Contacts, branches, the account team and every record other apps keep about the customer move
    over; the duplicate goes to the recycle bin marked as merged, and its timeline shows on `keep`.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why these customers are merged.")})
    if keep.pk == duplicate.pk:
        raise ValidationError({"duplicate": _("A customer cannot be merged into itself.")})
    node: Customer | None = keep
    while node is not None:
        if node.pk == duplicate.pk:
            raise ValidationError({"duplicate": _("A customer cannot be merged into one of its own branches.")})
        node = node.parent
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk]).order_by("pk")}
    if len(locked) != 2:
        raise ValidationError({"duplicate": _("This customer no longer exists.")})
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    moved = {
        "contacts": Contact.all_objects.filter(customer=duplicate).update(customer=keep),
        "branches": Customer.all_objects.filter(parent=duplicate).update(parent=keep),
    }
    present = set(AccountMember.objects.filter(customer=keep).values_list("user_id", flat=True))
    for member in AccountMember.objects.filter(customer=duplicate).exclude(user_id__in=present):
        AccountMember.objects.create(customer=keep, user_id=member.user_id, role=member.role)
    for hook in customer_merge_hooks.values():
        moved.update(hook(keep=keep, duplicate=duplicate, by=by))
    if not keep.credit_code and duplicate.credit_code:
        code, duplicate.credit_code = duplicate.credit_code, ""
        Customer.all_objects.filter(pk=duplicate.pk).update(credit_code="")
        keep.credit_code = code
    if keep.last_touch_at is None or (duplicate.last_touch_at and duplicate.last_touch_at > keep.last_touch_at):
        keep.last_touch_at = duplicate.last_touch_at
    keep.version += 1
    keep._history_user = by  # type: ignore[attr-defined]
    keep.save()
    duplicate.merged_into = keep
    duplicate.deleted_at = timezone.now()
    duplicate.deleted_by = by
    duplicate.version += 1
    duplicate._history_user = by  # type: ignore[attr-defined]
    duplicate.save()
    payload = {"kept": keep.name, "merged": duplicate.name, "merged_id": duplicate.pk, "reason": reason[:500],
               "moved": moved}  # fmt: skip
    event_record(verb=CUSTOMER_MERGED, actor=by, customer_id=keep.pk, target=keep, payload=payload)
    event_record(verb=CUSTOMER_MERGED, actor=by, customer_id=duplicate.pk, target=duplicate, payload=payload)
    return keep
