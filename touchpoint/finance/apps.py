from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "touchpoint.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from touchpoint.finance import access, checks, demo, navigation, panels  # noqa: F401

        # Every module that declares event types, so the timeline can name their events in any process.
        from touchpoint.finance.services import credit, dunning, invoices, receipts, settings  # noqa: F401
