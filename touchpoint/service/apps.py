from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "touchpoint.service"
    label = "service"
    verbose_name = _("Maintenance centre")

    def ready(self) -> None:
        from touchpoint.service import access, demo, hooks, navigation, panels  # noqa: F401
        from touchpoint.service.services import requests  # noqa: F401
