"""Where the portal shows up in the staff shell: the announcements page in the settings menu, and the
customer 360's "Portal users" button."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, RecordAction, customer_actions, nav_register
from touchpoint.portal.access import invites_to_visible, may_announce

nav_register(NavItem("portal_announcements", _("Customer announcements"), "portal:staff_announcements", order=950,
                     group="settings", visible=may_announce))  # fmt: skip
customer_actions["portal_users"] = RecordAction(
    key="portal_users", label=_("Portal users"), url=lambda customer: reverse("portal:staff_customer_users", args=[customer.pk]),
    visible=invites_to_visible, order=60, icon="bi-person-badge",
)  # fmt: skip
