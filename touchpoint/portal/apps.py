"""The customer-facing site: its own URL space, login and customer users."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "touchpoint.portal"
    label = "portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from touchpoint.core.extensions import portal_scopes
        from touchpoint.portal import demo, navigation, services  # noqa: F401  (demo step, nav items, event types)
        from touchpoint.portal.access import portal_customer_ids

        portal_scopes["portal"] = portal_customer_ids
