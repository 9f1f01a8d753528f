from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "touchpoint.delivery"
    label = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from touchpoint.delivery import access, demo, demo_bulk, hooks, navigation, panels  # noqa: F401

        # Every module that declares event types, so the timeline can name their events in any process.
        from touchpoint.delivery.services import (  # noqa: F401
            changes,
            documents,
            handover,
            plan,
            projects,
            risks,
            status_reports,
            timesheets,
        )
