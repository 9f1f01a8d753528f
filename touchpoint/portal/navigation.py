"""Where the portal shows up in the staff shell: the announcements page in the settings menu."""

from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, nav_register
from touchpoint.portal.access import may_announce

nav_register(NavItem("portal_announcements", _("Customer announcements"), "portal:staff_announcements", order=950,
                     group="settings", visible=may_announce))  # fmt: skip
