"""Where finance shows up in the shell: the Finance drop-down, settings entries, timeline links, record actions."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import NavItem, NavMenu, RecordAction, contract_actions, event_links, nav_menus, nav_register, quote_actions
from touchpoint.finance.access import can_edit_credit
from touchpoint.org.policy import may


def _may(entity: str, action: str = "view") -> Any:
    return lambda user: may(user, entity, action)


nav_menus["finance"] = NavMenu("finance", _("Finance"), order=55, icon="bi-cash-coin")
for _order, (_key, _label, _url, _entity) in enumerate([
    ("invoice_requests", _("Invoice requests"), "finance:invoice_requests", "invoice"),
    ("invoices", _("Invoices"), "finance:invoices", "invoice"),
    ("receipts", _("Receipts"), "finance:receipts", "receipt"),
    ("credit", _("Credit"), "finance:credit_list", "credit"),
    ("ageing", _("AR ageing"), "finance:ageing", "invoice"),
    ("collections", _("Collections and cash"), "finance:collections", "invoice"),
    ("letters", _("Payment reminders"), "finance:letters", "invoice"),
]):  # fmt: skip
    nav_register(NavItem(_key, _label, _url, order=550 + _order, menu="finance", visible=_may(_entity)))

nav_register(NavItem("finance_policy", _("Credit policy"), "finance:settings_policy", order=950, group="settings",
                     visible=_may("credit", "edit")))  # fmt: skip
nav_register(NavItem("finance_dunning", _("Dunning levels"), "finance:settings_dunning", order=951, group="settings",
                     visible=_may("credit", "edit")))  # fmt: skip

event_links.update({
    "finance.invoice": "finance:invoice_detail",
    "finance.receipt": "finance:receipt_detail",
    "finance.creditprofile": "finance:credit_profile",
    "finance.dunningletter": "finance:letter_detail",
})  # fmt: skip


def _credit_blocked(record: Any) -> bool:
    return any(r.get("check") == "credit" and r.get("result") == "block" for r in getattr(record, "check_results", []) or [])


contract_actions["credit_override"] = RecordAction(
    "credit_override", _("Override the credit block"), lambda contract: reverse("finance:contract_override", args=[contract.pk]),
    visible=lambda user, contract: contract.status == "pending" and _credit_blocked(contract) and can_edit_credit(user, contract.customer),
    icon="bi-unlock",
)  # fmt: skip
contract_actions["collection_plan"] = RecordAction(
    "collection_plan", _("Collection plan"), lambda contract: reverse("finance:contract_plan", args=[contract.pk]),
    visible=lambda user, contract: contract.status in ("active", "completed") and may(user, "invoice", "view"),
    icon="bi-calendar2-check",
)  # fmt: skip
quote_actions["credit_override"] = RecordAction(
    "credit_override", _("Override a credit block"), lambda quote: reverse("finance:quote_override", args=[quote.pk]),
    visible=lambda user, quote: quote.status == "draft" and can_edit_credit(user, quote.customer), icon="bi-unlock",
)  # fmt: skip
