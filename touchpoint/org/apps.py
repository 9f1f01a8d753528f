from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "touchpoint.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from touchpoint.org import access, demo, navigation  # noqa: F401
