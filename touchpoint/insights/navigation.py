"""Where the insights show up in the shell: an "Insights" drop-down with the flow monitor and the service reports."""

from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, NavMenu, nav_menus, nav_register
from touchpoint.insights.access import ENTITY
from touchpoint.org.policy import may


def _listed(user: object) -> bool:
    """The menu follows the policy table alone, so drawing it costs no query; a department head
    without that right still opens the pages (they check `may_view_insights`)."""
    return may(user, ENTITY, "view")


nav_menus["insights"] = NavMenu("insights", _("Insights"), order=62, icon="bi-bar-chart-line")
nav_register(NavItem("insights_flow", _("Flow monitor"), "insights:flow", order=620, menu="insights", visible=_listed))
nav_register(NavItem("insights_service", _("Service reports"), "insights:service_reports", order=621, menu="insights",
                     visible=_listed))  # fmt: skip
