"""Where the maintenance centre shows up in the shell: the 维护中心 drop-down, the settings entries and
timeline links to requests."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, NavMenu, event_links, nav_menus, nav_register
from touchpoint.org.policy import may


def _may(action: str, entity: str = "service_request") -> Any:
    return lambda user: may(user, entity, action)


def _configures(user: Any) -> bool:
    from touchpoint.service.views.common import may_configure

    return may_configure(user)


nav_menus["service"] = NavMenu("service", _("Maintenance centre"), order=60, icon="bi-headset")
for _order, (_key, _label, _url, _visible) in enumerate([
    ("service_my_queue", _("My queue"), "service:requests", _may("view")),
    ("service_all_requests", _("All requests"), "service:requests_all", _may("view")),
    ("service_log_request", _("Log a request"), "service:request_new", _may("create")),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=600 + _order, menu="service", visible=_visible))

for _order, (_key, _label, _url, _entity) in enumerate([
    ("service_complaints", _("Complaints"), "service:complaint_list", "complaint"),
    ("service_knowledge", _("Knowledge base"), "service:knowledge_list", "knowledge_article"),
    ("service_surveys", _("Satisfaction surveys"), "service:survey_list", "survey"),
    ("service_contracts", _("Maintenance contracts"), "service:contract_list", "maintenance_contract"),
    ("service_plans", _("Routine maintenance plans"), "service:plan_list", "maintenance_plan"),
    ("service_campaigns", _("Upgrade campaigns"), "service:campaign_list", "upgrade_campaign"),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=610 + _order, menu="service", visible=_may("view", _entity)))


def _reads_mailbox(user: Any) -> bool:
    from touchpoint.service.access import may_view_mailbox

    return may_view_mailbox(user)


nav_register(NavItem("service_mailbox", _("Support mailbox"), "service:mailbox", order=620, menu="service", visible=_reads_mailbox))

for _order, (_key, _label, _url) in enumerate([
    ("service_queues", _("Service queues"), "service:settings_queues"),
    ("service_routing", _("Routing rules"), "service:settings_routing"),
    ("service_sla", _("SLA policies"), "service:settings_sla"),
    ("service_calendars", _("Business calendars"), "service:settings_calendars"),
    ("service_settings", _("Service settings"), "service:settings"),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=970 + _order, group="settings", visible=_configures))

event_links["service.servicerequest"] = "service:request_detail"
event_links["service.complaint"] = "service:complaint_detail"
event_links["service.article"] = "service:article_detail"
event_links["service.maintenancecontract"] = "service:contract_detail"
event_links["service.maintenanceplan"] = "service:plan_detail"
event_links["service.upgradecampaign"] = "service:campaign_detail"
