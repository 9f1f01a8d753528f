"""Who may see and manage maintenance contracts, routine maintenance plans and upgrade campaigns.

'Own' for a contract or a plan means one of a customer the user owns or is on the account team of,
so a sales rep sees the contracts they will renew. The maintenance centre sees all of them; its
lead manages them. Portal users see their own customer's contracts (`portal_path`).
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.access import account_customer_ids
from touchpoint.org.policy import Rules, S, may, register_entity, row
from touchpoint.service.access.requests import can_work_request
from touchpoint.service.models import MaintenanceContract
from touchpoint.service.models.maintenance import CampaignTarget, MaintenancePlan, ScheduledOrder, UpgradeCampaign

__all__ = [
    "CAMPAIGN",
    "CONTRACT",
    "PLAN",
    "can_edit_contract",
    "can_edit_plan",
    "can_manage_campaign",
    "can_record_checklist",
    "can_view_campaign",
    "can_view_contract",
    "can_view_plan",
    "may_create_contracts",
    "may_create_plans",
    "may_export_contracts",
    "may_manage_campaigns",
    "may_view_campaigns",
    "may_view_contracts",
    "may_view_plans",
    "visible_campaign_targets",
    "visible_campaigns",
    "visible_contracts",
    "visible_orders",
    "visible_plans",
]

register_entity(
    "maintenance_contract",
    label=_("Maintenance contracts"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.ALL, export=S.ALL),
        "project_manager": row(view=S.ALL),
        "engineer": row(view=S.ALL),
        "maintenance_agent": row(view=S.ALL, export=S.ALL),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL),
        "finance": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL),
    },
    actions=("view", "create", "edit", "export"),
)
register_entity(
    "maintenance_plan",
    label=_("Routine maintenance plans"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.ALL),
        "project_manager": row(view=S.ALL),
        "engineer": row(view=S.ALL),
        "maintenance_agent": row(view=S.ALL, edit=S.ALL),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL),
        "executive": row(view=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL),
    },
    actions=("view", "create", "edit"),
)
register_entity(
    "upgrade_campaign",
    label=_("Upgrade campaigns"),
    defaults={
        "sales_manager": row(view=S.ALL),
        "project_manager": row(view=S.ALL),
        "engineer": row(view=S.ALL),
        "maintenance_agent": row(view=S.ALL),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL),
        "executive": row(view=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL),
    },
    actions=("view", "create", "edit"),
)


def _own_customer_record(user: Any) -> Q:
    return Q(customer__owner_id=user.pk) | Q(customer_id__in=account_customer_ids(user))


CONTRACT = Rules("maintenance_contract", owner_path="customer__owner", own=_own_customer_record, portal_path="customer")
PLAN = Rules("maintenance_plan", owner_path="customer__owner", own=_own_customer_record, portal_path="customer")
CAMPAIGN = Rules("upgrade_campaign", owner_path="created_by", own=lambda user: Q(created_by_id=user.pk))


def visible_contracts(user: Any) -> QuerySet[MaintenanceContract]:
    return CONTRACT.scoped(user, "view", MaintenanceContract.objects.all())


def can_view_contract(user: Any, contract: MaintenanceContract) -> bool:
    return CONTRACT.allows(user, contract, "view")


def can_edit_contract(user: Any, contract: MaintenanceContract) -> bool:
    """Edit, renew and cancel."""
    return CONTRACT.allows(user, contract, "edit")


def may_view_contracts(user: Any) -> bool:
    return may(user, "maintenance_contract", "view")


def may_view_plans(user: Any) -> bool:
    return may(user, "maintenance_plan", "view")


def may_view_campaigns(user: Any) -> bool:
    return may(user, "upgrade_campaign", "view")


def may_create_contracts(user: Any) -> bool:
    return may(user, "maintenance_contract", "create")


def may_export_contracts(user: Any) -> bool:
    return may(user, "maintenance_contract", "export")


def visible_plans(user: Any) -> QuerySet[MaintenancePlan]:
    return PLAN.scoped(user, "view", MaintenancePlan.objects.all())


def can_view_plan(user: Any, plan: MaintenancePlan) -> bool:
    return PLAN.allows(user, plan, "view")


def can_edit_plan(user: Any, plan: MaintenancePlan) -> bool:
    return PLAN.allows(user, plan, "edit")


def may_create_plans(user: Any) -> bool:
    return may(user, "maintenance_plan", "create")


def visible_orders(user: Any) -> QuerySet[ScheduledOrder]:
    return ScheduledOrder.objects.filter(plan__in=visible_plans(user).values("pk"))


def can_record_checklist(user: Any, order: ScheduledOrder) -> bool:
    """Whoever may edit the plan, or the person the inspection's request is with (the engineer on
    the visit) or its case owner, if they may still work it."""
    if can_edit_plan(user, order.plan):
        return True
    request = order.request
    return request is not None and user.pk in (request.assignee_id, request.owner_id) and can_work_request(user, request)


def visible_campaigns(user: Any) -> QuerySet[UpgradeCampaign]:
    return CAMPAIGN.scoped(user, "view", UpgradeCampaign.objects.all())


def visible_campaign_targets(user: Any) -> QuerySet[CampaignTarget]:
    return CampaignTarget.objects.filter(campaign__in=visible_campaigns(user).values("pk"))


def can_view_campaign(user: Any, campaign: UpgradeCampaign) -> bool:
    return CAMPAIGN.allows(user, campaign, "view")


def can_manage_campaign(user: Any, campaign: UpgradeCampaign) -> bool:
    """Edit, choose the customers, launch, close and update the targets."""
    return CAMPAIGN.allows(user, campaign, "edit")


def may_manage_campaigns(user: Any) -> bool:
    return may(user, "upgrade_campaign", "create")
