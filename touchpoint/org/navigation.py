from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, nav_register
from touchpoint.org.access import can_view_policy

nav_register(NavItem("home", _("Workspace"), "home", order=10))
nav_register(NavItem("policy", _("Policy table"), "org:policy", order=900, visible=can_view_policy, group="settings"))
nav_register(NavItem("departments", _("Departments"), "org:departments", order=910, visible=can_view_policy,
                     group="settings"))  # fmt: skip
nav_register(NavItem("users", _("Users, positions and teams"), "admin:org_user_changelist", order=920,
                     visible=lambda user: user.is_superuser, group="settings"))  # fmt: skip
