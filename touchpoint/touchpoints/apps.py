from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouchpointsConfig(AppConfig):
    name = "touchpoint.touchpoints"
    label = "touchpoints"
    verbose_name = _("Touchpoints")

    def ready(self) -> None:
        from touchpoint.touchpoints import access, demo, navigation, panels  # noqa: F401
