from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, RecycleSection, event_links, nav_register, recycle_sections
from touchpoint.org.policy import may
from touchpoint.touchpoints.access import deleted_followups, deleted_touchpoints

nav_register(NavItem("followups", _("Follow-ups"), "touchpoints:followups", order=40,
                     visible=lambda user: may(user, "followup", "view")))  # fmt: skip
event_links["touchpoints.touchpoint"] = "touchpoints:detail"
event_links["touchpoints.followup"] = "touchpoints:followup_detail"
recycle_sections["touchpoints"] = RecycleSection("touchpoints", _("Touchpoints"), deleted_touchpoints,
                                                 "touchpoints:restore", 30)  # fmt: skip
recycle_sections["followups"] = RecycleSection("followups", _("Follow-ups"), deleted_followups,
                                               "touchpoints:followup_restore", 40)  # fmt: skip
