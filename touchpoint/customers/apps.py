from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "touchpoint.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from touchpoint.customers import access, demo, navigation, panels  # noqa: F401
