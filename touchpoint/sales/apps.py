from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "touchpoint.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from touchpoint.sales import access, demo, demo_catalogue, navigation, panels  # noqa: F401
