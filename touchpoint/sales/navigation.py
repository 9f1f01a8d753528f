"""Where sales shows up in the shell: the Sales drop-down, settings entries, timeline links, touchpoint actions."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import (
    NavItem,
    NavMenu,
    TouchpointAction,
    event_links,
    nav_menus,
    nav_register,
    touchpoint_actions,
)
from touchpoint.org.policy import may
from touchpoint.sales.access import can_create_lead


def _may_view(entity: str) -> Callable[[Any], bool]:
    return lambda user: may(user, entity, "view")


nav_menus["sales"] = NavMenu("sales", _("Sales"), order=45, icon="bi-graph-up-arrow")
for _order, (_key, _label, _url, _entity) in enumerate([
    ("leads", _("Leads"), "sales:lead_list", "lead"),
    ("opportunities", _("Opportunities"), "sales:opportunities", "opportunity"),
    ("opportunity_board", _("Pipeline board"), "sales:opportunity_board", "opportunity"),
    ("quotes", _("Quotes"), "sales:quotes", "quote"),
    ("approvals", _("Discount approvals"), "sales:approvals", "discount_approval"),
    ("contracts", _("Contracts"), "sales:contracts", "contract"),
    ("forecast", _("Forecast"), "sales:forecast", "opportunity"),
    ("sales_reports", _("Sales reports"), "sales:reports", "opportunity"),
    ("products", _("Products"), "sales:products", "product"),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=450 + _order, menu="sales",
                         visible=_may_view(_entity)))  # fmt: skip

for _order, (_key, _label, _url) in enumerate([
    ("sales_areas", _("Requirement areas"), "sales:settings_areas"),
    ("sales_templates", _("Requirement templates"), "sales:settings_templates"),
    ("sales_pipelines", _("Pipelines"), "sales:settings_pipelines"),
    ("sales_milestones", _("Payment milestone templates"), "sales:settings_milestones"),
    ("sales_discounts", _("Discount limits"), "sales:settings_discounts"),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=930 + _order, group="settings",
                         visible=lambda user: may(user, "product", "edit")))  # fmt: skip

event_links.update({
    "sales.lead": "sales:lead_detail",
    "sales.opportunity": "sales:opportunity_detail",
    "sales.quote": "sales:quote_detail",
    "sales.contract": "sales:contract_detail",
    "sales.product": "sales:product_detail",
    "sales.module": "sales:module_detail",
})  # fmt: skip

touchpoint_actions["create_lead"] = TouchpointAction(
    "create_lead", _("Create lead"), "sales:lead_new", visible=lambda user, touchpoint: can_create_lead(user),
    order=10, icon="bi-funnel",
)  # fmt: skip
