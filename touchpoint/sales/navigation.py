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
