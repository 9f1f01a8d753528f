from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "touchpoint.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # The service app's scale-data share lives beside the insights that read it.
        from touchpoint.insights import access, demo, hooks, navigation  # noqa: F401
        from touchpoint.service import demo_bulk  # noqa: F401
