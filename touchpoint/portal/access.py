"""Who is a customer user, which customers they see, and who may manage portal users and announcements.

`portal_customer_ids` is registered into core's `portal_scopes`: the policy (`org.policy.Rules`)
asks it once per request and, for a customer user, keeps only the rows of their own customers on
the entities that declare a `portal_path`. Staff never pay a query for it: a user with a department
is staff, and so is anyone without a portal account.
"""

from typing import Any

from django.db.models import QuerySet

from touchpoint.core.extensions import portal_customers
from touchpoint.customers.access import can_view_customer
from touchpoint.customers.models import Customer
from touchpoint.org.models import Position
from touchpoint.portal.models import PortalAccount

_UNSET = object()
# Staff positions that may invite customer users (besides the customer's owner).
INVITING_POSITIONS = frozenset({Position.MAINTENANCE_LEAD, Position.MAINTENANCE_AGENT, Position.ADMIN})
# Staff positions that publish announcements to customers.
ANNOUNCING_POSITIONS = frozenset({Position.MAINTENANCE_LEAD, Position.MARKETING, Position.ADMIN})


def portal_customer_ids(user: Any) -> frozenset[int] | None:
    """The customer ids a customer user may see (their customer and granted branches); an empty set
    for a deactivated customer user; None for staff and anonymous visitors."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "is_superuser", False):
        return None
    if getattr(user, "department_id", None) is not None:
        return None
    cached = getattr(user, "_portal_customers_cache", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    rows = list(PortalAccount.objects.filter(user_id=user.pk).values_list("is_active", "customer_id", "branches__id"))
    ids: frozenset[int] | None
    if not rows:
        ids = None
    elif not rows[0][0] or not user.is_active:
        ids = frozenset()
    else:
        ids = frozenset({rows[0][1]} | {branch for _active, _customer, branch in rows if branch is not None})
    user._portal_customers_cache = ids
    return ids


def is_portal_user(user: Any) -> bool:
    return portal_customers(user) is not None


def portal_account(user: Any) -> PortalAccount | None:
    """The active account of a customer user, with its customer."""
    if not is_portal_user(user):
        return None
    cached = getattr(user, "_portal_account_cache", _UNSET)
    if cached is _UNSET:
        cached = PortalAccount.objects.select_related("customer", "contact").filter(user_id=user.pk, is_active=True).first()
        user._portal_account_cache = cached
    return cached  # type: ignore[return-value]


def customer_ids(user: Any) -> frozenset[int]:
    """The customers a customer user sees; empty for anyone else (so a filter on it returns nothing)."""
    return portal_customers(user) or frozenset()


def can_invite_to(user: Any, customer: Customer) -> bool:
    """Invite a customer user: the customer's owner, a maintenance agent or lead (or an admin) who may
    see the customer, or an active customer admin of that very customer."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_portal_user(user):
        account = portal_account(user)
        return account is not None and account.is_admin and account.customer_id == customer.pk
    return invites_to_visible(user, customer) and (customer.owner_id == user.pk or can_view_customer(user, customer))


def invites_to_visible(user: Any, customer: Customer) -> bool:
    """`can_invite_to` for staff on a customer they are known to see already (the customer 360)."""
    return customer.owner_id == user.pk or bool(INVITING_POSITIONS & set(user.positions))


def can_manage_account(user: Any, account: PortalAccount) -> bool:
    """Deactivate a customer user: whoever may invite to that customer; nobody deactivates themself."""
    return account.user_id != user.pk and can_invite_to(user, account.customer)


def visible_accounts(user: Any, customer: Customer) -> QuerySet[PortalAccount]:
    """The portal users of a customer, for whoever may invite to it."""
    if not can_invite_to(user, customer):
        return PortalAccount.objects.none()
    return PortalAccount.objects.filter(customer=customer).select_related("user", "contact")


def may_announce(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or is_portal_user(user):
        return False
    return user.is_superuser or bool(ANNOUNCING_POSITIONS & set(user.positions))
