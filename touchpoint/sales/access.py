"""Who may see and do what in sales: leads, opportunities, quotes, contracts, the catalogue, approvals.

'Own' means:
- a lead: its owner, or whoever entered it (an agent who passed on an inbound call);
- an opportunity: its owner, its opportunity team, and the customer's account team;
- a quote: its owner and everyone for whom its opportunity is 'own';
- a contract: its sales rep, the customer's account team and the opportunity team;
- a discount approval: whoever asked for it.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.access import account_customer_ids
from touchpoint.org.policy import Rules, S, may, register_entity, row
from touchpoint.sales.models import (
    Contract,
    DiscountApproval,
    Lead,
    Module,
    Opportunity,
    OpportunityMember,
    Product,
    Quote,
)  # fmt: skip

ALL6 = row(S.ALL, S.ALL, S.ALL, S.ALL, S.ALL, S.ALL)
READ_ALL = row(view=S.ALL, export=S.ALL)

register_entity(
    "lead",
    label=_("Leads"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, export=S.OWN),
        "sales_manager": row(view=S.ALL, create=S.ALL, edit=S.ALL, delete=S.TEAM, export=S.ALL, assign=S.ALL),
        "maintenance_agent": row(view=S.OWN, create=S.OWN),
        "maintenance_lead": row(view=S.OWN, create=S.OWN),
        "project_manager": row(view=S.OWN, create=S.OWN),
        "marketing": row(view=S.ALL, create=S.ALL, edit=S.OWN, export=S.ALL),
        "executive": READ_ALL,
        "admin": ALL6,
    },
)
register_entity(
    "opportunity",
    label=_("Opportunities"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, export=S.OWN),
        "sales_manager": row(
            view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM, delete=S.TEAM, export=S.DEPARTMENT, assign=S.TEAM
        ),
        "project_manager": row(view=S.ALL),
        "engineer": row(view=S.OWN, edit=S.OWN),
        "maintenance_agent": row(view=S.OWN),
        "maintenance_lead": row(view=S.ALL),
        "finance": READ_ALL,
        "marketing": row(view=S.ALL),
        "executive": READ_ALL,
        "admin": ALL6,
    },
)
register_entity(
    "quote",
    label=_("Quotes"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM),
        "project_manager": row(view=S.OWN),
        "finance": row(view=S.ALL),
        "executive": row(view=S.ALL),
        "admin": ALL6,
    },
    # A quote is a numbered document: it is revised, superseded or expires, never deleted, and its
    # figures leave through the PDF and the sales reports rather than a raw export.
    actions=("view", "create", "edit"),
)
register_entity(
    "contract",
    label=_("Contracts"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, export=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM, export=S.DEPARTMENT),
        "project_manager": row(view=S.ALL),
        "engineer": row(view=S.OWN),
        "maintenance_agent": row(view=S.ALL),
        "maintenance_lead": row(view=S.ALL, export=S.ALL),
        "finance": READ_ALL,
        "executive": READ_ALL,
        "admin": ALL6,
    },
    actions=("view", "create", "edit", "export"),
)
register_entity(
    "discount_approval",
    label=_("Discount approvals"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.TEAM, edit=S.TEAM),
        "executive": row(view=S.ALL, edit=S.ALL),
        "admin": row(view=S.ALL, edit=S.ALL),
    },
    actions=("view", "edit"),
)
register_entity(
    "product",
    label=_("Product catalogue"),
    defaults={
        **{
            position: row(view=S.ALL)
            for position in (
                "sales_rep", "sales_manager", "project_manager", "engineer", "maintenance_agent",
                "maintenance_lead", "finance", "marketing", "executive",
            )
        },  # fmt: skip
        "admin": row(S.ALL, S.ALL, S.ALL),
    },
    # Catalogue items are retired, never deleted (quotes and contracts point at them); the catalogue
    # is read on its pages and through the API rather than exported.
    actions=("view", "create", "edit"),
)


def opportunity_team_ids(user: Any) -> QuerySet:
    return OpportunityMember.objects.filter(user_id=user.pk).values("opportunity_id")


def _own_lead(user: Any) -> Q:
    return Q(owner_id=user.pk) | Q(created_by_id=user.pk)


def _own_opportunity(user: Any) -> Q:
    return Q(owner_id=user.pk) | Q(pk__in=opportunity_team_ids(user)) | Q(customer_id__in=account_customer_ids(user))


def _own_quote(user: Any) -> Q:
    return (
        Q(owner_id=user.pk)
        | Q(opportunity__owner_id=user.pk)
        | Q(opportunity_id__in=opportunity_team_ids(user))
        | Q(customer_id__in=account_customer_ids(user))
    )


def _own_contract(user: Any) -> Q:
    return (
        Q(owner_id=user.pk)
        | Q(opportunity_id__in=opportunity_team_ids(user))
        | Q(customer_id__in=account_customer_ids(user))
    )


def _own_approval(user: Any) -> Q:
    return Q(requested_by_id=user.pk)


LEAD = Rules("lead", owner_path="owner", own=_own_lead)
OPPORTUNITY = Rules("opportunity", owner_path="owner", own=_own_opportunity)
QUOTE = Rules("quote", owner_path="owner", own=_own_quote)
CONTRACT = Rules("contract", owner_path="owner", own=_own_contract)
APPROVAL = Rules("discount_approval", owner_path="requested_by", own=_own_approval)


# --- Leads ---------------------------------------------------------------------------------


def visible_leads(user: Any) -> QuerySet[Lead]:
    return LEAD.scoped(user, "view", Lead.objects.all())


def exportable_leads(user: Any) -> QuerySet[Lead]:
    return LEAD.scoped(user, "export", Lead.objects.all())


def can_view_lead(user: Any, lead: Lead) -> bool:
    return LEAD.allows(user, lead, "view")


def can_edit_lead(user: Any, lead: Lead) -> bool:
    return LEAD.allows(user, lead, "edit")


def can_delete_lead(user: Any, lead: Lead) -> bool:
    return LEAD.allows(user, lead, "delete")


def can_assign_lead(user: Any, lead: Lead) -> bool:
    return LEAD.allows(user, lead, "assign")


def can_create_lead(user: Any) -> bool:
    return may(user, "lead", "create")


# --- Opportunities -------------------------------------------------------------------------


def visible_opportunities(user: Any) -> QuerySet[Opportunity]:
    return OPPORTUNITY.scoped(user, "view", Opportunity.objects.all())


def exportable_opportunities(user: Any) -> QuerySet[Opportunity]:
    return OPPORTUNITY.scoped(user, "export", Opportunity.objects.all())


def can_view_opportunity(user: Any, opportunity: Opportunity) -> bool:
    return OPPORTUNITY.allows(user, opportunity, "view")


def can_edit_opportunity(user: Any, opportunity: Opportunity) -> bool:
    return OPPORTUNITY.allows(user, opportunity, "edit")


def can_delete_opportunity(user: Any, opportunity: Opportunity) -> bool:
    return OPPORTUNITY.allows(user, opportunity, "delete")


def can_assign_opportunity(user: Any, opportunity: Opportunity) -> bool:
    return OPPORTUNITY.allows(user, opportunity, "assign")


def can_create_opportunity(user: Any, customer: Any) -> bool:
    """Open an opportunity on `customer`: the create scope must cover the customer's owner."""
    return OPPORTUNITY.allows_on(
        user, customer, "create", owner_path="owner",
        own=lambda u: Q(owner_id=u.pk) | Q(pk__in=account_customer_ids(u)),
    )  # fmt: skip


def may_create_opportunities(user: Any) -> bool:
    return may(user, "opportunity", "create")


# --- Quotes --------------------------------------------------------------------------------


def visible_quotes(user: Any) -> QuerySet[Quote]:
    return QUOTE.scoped(user, "view", Quote.objects.all())


def can_view_quote(user: Any, quote: Quote) -> bool:
    return QUOTE.allows(user, quote, "view")


def can_edit_quote(user: Any, quote: Quote) -> bool:
    return QUOTE.allows(user, quote, "edit")


def can_create_quote(user: Any, opportunity: Opportunity) -> bool:
    """Quote on `opportunity`: the quote create scope must cover the opportunity."""
    return QUOTE.allows_on(user, opportunity, "create", owner_path="owner", own=_own_opportunity)


# --- Contracts -----------------------------------------------------------------------------


def visible_contracts(user: Any) -> QuerySet[Contract]:
    return CONTRACT.scoped(user, "view", Contract.objects.all())


def exportable_contracts(user: Any) -> QuerySet[Contract]:
    return CONTRACT.scoped(user, "export", Contract.objects.all())


def can_view_contract(user: Any, contract: Contract) -> bool:
    return CONTRACT.allows(user, contract, "view")


def can_edit_contract(user: Any, contract: Contract) -> bool:
    return CONTRACT.allows(user, contract, "edit")


def can_create_contract(user: Any, opportunity: Opportunity) -> bool:
    return CONTRACT.allows_on(user, opportunity, "create", owner_path="owner", own=_own_opportunity)


# --- Discount approvals --------------------------------------------------------------------


def visible_approvals(user: Any) -> QuerySet[DiscountApproval]:
    return APPROVAL.scoped(user, "view", DiscountApproval.objects.all())


def decidable_approvals(user: Any) -> QuerySet[DiscountApproval]:
    """Approvals the user may decide: their scope covers the requester, and it is not their own request."""
    return APPROVAL.scoped(user, "edit", DiscountApproval.objects.all()).exclude(requested_by_id=user.pk)


def can_decide_approval(user: Any, approval: DiscountApproval) -> bool:
    return approval.requested_by_id != user.pk and APPROVAL.allows(user, approval, "edit")


# --- The catalogue -------------------------------------------------------------------------


def visible_products(user: Any) -> QuerySet[Product]:
    return Product.objects.all() if may(user, "product", "view") else Product.objects.none()


def visible_modules(user: Any) -> QuerySet[Module]:
    return Module.objects.all() if may(user, "product", "view") else Module.objects.none()


def can_manage_catalogue(user: Any) -> bool:
    return may(user, "product", "edit")
