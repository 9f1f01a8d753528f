"""Where delivery shows up in the shell: the Delivery drop-down, settings entries, timeline links, record actions."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, NavMenu, RecordAction, contract_actions, event_links, nav_menus, nav_register
from touchpoint.delivery.models import Project
from touchpoint.org.policy import may


def _may(entity: str, action: str = "view") -> Any:
    return lambda user: may(user, entity, action)


def _is(*positions: str) -> Any:
    return lambda user: bool(set(positions) & getattr(user, "positions", set())) or user.is_superuser


def _configures(user: Any) -> bool:
    from touchpoint.delivery.views.settings import may_configure

    return may_configure(user)


nav_menus["delivery"] = NavMenu("delivery", _("Delivery"), order=58, icon="bi-kanban")
for _order, (_key, _label, _url, _visible) in enumerate([
    ("projects", _("Projects"), "delivery:projects", _may("project")),
    ("my_projects", _("My projects"), "delivery:my_projects", _is("project_manager")),
    ("my_tasks", _("My tasks"), "delivery:my_tasks", _is("engineer", "project_manager")),
    ("my_timesheet", _("My timesheet"), "delivery:my_timesheet", _may("timesheet", "create")),
    ("delivery_reports", _("Delivery reports"), "delivery:reports", _may("project")),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=580 + _order, menu="delivery", visible=_visible))

nav_register(NavItem("delivery_templates", _("Project templates"), "delivery:settings_templates", order=960, group="settings",
                     visible=_configures))  # fmt: skip
nav_register(NavItem("delivery_settings", _("Delivery settings"), "delivery:settings", order=961, group="settings",
                     visible=_configures))  # fmt: skip

event_links["delivery.project"] = "delivery:project_detail"


def _project_of(contract: Any) -> Project | None:
    if not hasattr(contract, "_delivery_project"):
        contract._delivery_project = Project.objects.filter(contract_id=contract.pk).order_by("-id").first()
    found: Project | None = contract._delivery_project
    return found


def _sees_project(user: Any, contract: Any) -> bool:
    from touchpoint.delivery.access import can_view_project

    project = _project_of(contract)
    return project is not None and can_view_project(user, project)


contract_actions["delivery_project"] = RecordAction(
    "delivery_project", _("Implementation project"),
    lambda contract: reverse("delivery:project_detail", args=[_project_of(contract).pk]),  # type: ignore[union-attr]
    visible=_sees_project, icon="bi-kanban", order=20,
)  # fmt: skip
