from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, TouchpointAction, event_links, nav_register, touchpoint_actions
from touchpoint.org.policy import may
from touchpoint.sales.access import can_create_lead

nav_register(NavItem("leads", _("Leads"), "sales:lead_list", order=45, visible=lambda user: may(user, "lead", "view")))
event_links["sales.lead"] = "sales:lead_detail"
touchpoint_actions["create_lead"] = TouchpointAction(
    "create_lead", _("Create lead"), "sales:lead_new", visible=lambda user, touchpoint: can_create_lead(user),
    order=10, icon="bi-funnel",
)  # fmt: skip
nav_register(NavItem("opportunities", _("Opportunities"), "sales:opportunities", order=50,
                     visible=lambda user: may(user, "opportunity", "view")))  # fmt: skip
event_links["sales.opportunity"] = "sales:opportunity_detail"
# --- catalogue and sales settings (views/catalogue.py, views/settings.py) ---
nav_register(NavItem("products", _("Products"), "sales:products", order=80, visible=lambda user: may(user, "product", "view")))
for _order, (_key, _label, _url) in enumerate([
    ("sales_areas", _("Requirement areas"), "sales:settings_areas"),
    ("sales_templates", _("Requirement templates"), "sales:settings_templates"),
    ("sales_pipelines", _("Pipelines"), "sales:settings_pipelines"),
    ("sales_milestones", _("Payment milestone templates"), "sales:settings_milestones"),
    ("sales_discounts", _("Discount limits"), "sales:settings_discounts"),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=930 + _order, group="settings",
                         visible=lambda user: may(user, "product", "edit")))  # fmt: skip
event_links["sales.product"] = "sales:product_detail"
event_links["sales.module"] = "sales:module_detail"
# --- forecast and sales reports (views/reports.py) ---
nav_register(NavItem("sales_reports", _("Sales reports"), "sales:reports", order=75,
                     visible=lambda user: may(user, "opportunity", "view")))  # fmt: skip
