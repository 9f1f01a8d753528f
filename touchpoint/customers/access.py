"""Who may see and do what with customers and contacts.

'Own' means the user owns the customer or sits on its account team; a contact belongs to its
customer's owner and team.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.models import AccountMember, Contact, Customer
from touchpoint.org.policy import Rules, S, may, register_entity, row

register_entity(
    "customer",
    label=_("Customers"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, export=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM, delete=S.TEAM, export=S.DEPARTMENT, assign=S.TEAM),
        "project_manager": row(view=S.ALL, edit=S.OWN, export=S.OWN),
        "engineer": row(view=S.OWN),
        "maintenance_agent": row(view=S.ALL),
        "maintenance_lead": row(view=S.ALL, edit=S.ALL, export=S.ALL),
        "finance": row(view=S.ALL, export=S.ALL),
        "marketing": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(S.ALL, S.ALL, S.ALL, S.ALL, S.ALL, S.ALL),
    },
)
register_entity(
    "contact",
    label=_("Contacts"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, delete=S.OWN, export=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM, delete=S.TEAM, export=S.DEPARTMENT),
        "project_manager": row(view=S.ALL, create=S.OWN, edit=S.OWN, export=S.OWN),
        "engineer": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        "maintenance_agent": row(view=S.ALL, create=S.ALL, edit=S.ALL),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL, delete=S.ALL, export=S.ALL),
        "finance": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL),
        "marketing": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(S.ALL, S.ALL, S.ALL, S.ALL, S.ALL, S.ALL),
    },
    actions=("view", "create", "edit", "delete", "export"),
)


def account_customer_ids(user: Any) -> QuerySet:
    return AccountMember.objects.filter(user_id=user.pk).values("customer_id")


def _own_customer(user: Any) -> Q:
    return Q(owner_id=user.pk) | Q(pk__in=account_customer_ids(user))


def _own_contact(user: Any) -> Q:
    return Q(customer__owner_id=user.pk) | Q(customer_id__in=account_customer_ids(user))


CUSTOMER = Rules("customer", owner_path="owner", own=_own_customer)
CONTACT = Rules("contact", owner_path="customer__owner", own=_own_contact)


def visible_customers(user: Any) -> QuerySet[Customer]:
    return CUSTOMER.scoped(user, "view", Customer.objects.all())


def exportable_customers(user: Any) -> QuerySet[Customer]:
    return CUSTOMER.scoped(user, "export", Customer.objects.all())


def deleted_customers(user: Any) -> QuerySet[Customer]:
    """The recycle bin: deleted customers the user may restore (the delete policy). A customer merged
    into another is not offered: its records live on in the other one."""
    binned = Customer.all_objects.filter(deleted_at__isnull=False, merged_into__isnull=True)
    return CUSTOMER.scoped(user, "delete", binned)


def can_view_customer(user: Any, customer: Customer) -> bool:
    return CUSTOMER.allows(user, customer, "view")


def can_edit_customer(user: Any, customer: Customer) -> bool:
    return CUSTOMER.allows(user, customer, "edit")


def can_delete_customer(user: Any, customer: Customer) -> bool:
    return CUSTOMER.allows(user, customer, "delete")


def can_assign_customer(user: Any, customer: Customer) -> bool:
    return CUSTOMER.allows(user, customer, "assign")


def can_create_customer(user: Any, owner: Any = None) -> bool:
    """Create a customer owned by `owner` (the user themself when omitted)."""
    return CUSTOMER.allows_on(user, owner or user, "create", owner_path="pk", own=lambda u: Q(pk=u.pk))


def may_export_customers(user: Any) -> bool:
    return may(user, "customer", "export")


def may_assign_customers(user: Any) -> bool:
    return may(user, "customer", "assign")


def may_export_contacts(user: Any) -> bool:
    return may(user, "contact", "export")


def visible_contacts(user: Any) -> QuerySet[Contact]:
    return CONTACT.scoped(user, "view", Contact.objects.all())


def exportable_contacts(user: Any) -> QuerySet[Contact]:
    return CONTACT.scoped(user, "export", Contact.objects.all())


def deleted_contacts(user: Any) -> QuerySet[Contact]:
    return CONTACT.scoped(user, "delete", Contact.all_objects.filter(deleted_at__isnull=False))


def can_view_contact(user: Any, contact: Contact) -> bool:
    return CONTACT.allows(user, contact, "view")


def can_edit_contact(user: Any, contact: Contact) -> bool:
    return CONTACT.allows(user, contact, "edit")


def can_delete_contact(user: Any, contact: Contact) -> bool:
    return CONTACT.allows(user, contact, "delete")


def can_create_contact(user: Any, customer: Customer) -> bool:
    """Add a contact to `customer`: the contact create scope must cover the customer."""
    return CONTACT.allows_on(user, customer, "create", owner_path="owner", own=_own_customer)
