"""Named extension points that higher apps register into.

A lower app shows things a higher app owns (a panel on the customer 360 page, a workspace panel,
a counter at the top of the 360) by iterating a registry here; the higher app registers in its
AppConfig.ready(). Nothing in a lower app imports a higher one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class Panel:
    key: str
    title: Promise | str
    template: str
    # context(request, **kwargs) returns the template context, or None to hide the panel.
    context: Callable[..., dict[str, Any] | None]
    order: int = 100
    # Empty means every position; otherwise the panel shows to holders of these positions.
    positions: frozenset[str] = field(default_factory=frozenset)


@dataclass
class PanelRegistry:
    name: str
    panels: dict[str, Panel] = field(default_factory=dict)

    def register(self, panel: Panel) -> Panel:
        self.panels[panel.key] = panel
        return panel

    def for_positions(self, positions: set[str]) -> list[Panel]:
        chosen = [p for p in self.panels.values() if not p.positions or p.positions & positions]
        return sorted(chosen, key=lambda p: (p.order, p.key))

    def render_context(self, request: HttpRequest, positions: set[str], **kwargs: Any) -> list[dict[str, Any]]:
        rendered = []
        for panel in self.for_positions(positions):
            context = panel.context(request, **kwargs)
            if context is not None:
                rendered.append({"panel": panel, "context": context})
        return rendered


@dataclass(frozen=True)
class Counter:
    """A headline figure at the top of the customer 360 (latest sales, service, feedback, complaints)."""

    key: str
    label: Promise | str
    count: Callable[[Any, Any], int]  # count(user, customer)
    order: int = 100


# Home page panels per position (the maintenance queue, receivables due, my tasks…).
workspace_panels = PanelRegistry("workspace")
# Panels on the customer 360 page (opportunities, contracts, projects, requests, receivables).
customer_panels = PanelRegistry("customer360")
# Small badges beside a customer's name wherever the customer heads a page (the 360, a quote, a
# contract): the finance module's risk badge. context(request, customer=customer) or None to hide.
customer_badges = PanelRegistry("badges")
# The four headline counters at the top of the 360. Modules that own the figure replace the
# zero counter registered by the customers app under the same key.
customer_counters: dict[str, Counter] = {}


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise | str
    url_name: str
    order: int = 100
    # Shown when visible(user) is true.
    visible: Callable[[Any], bool] = lambda user: True
    # "main" items sit in the top bar; "settings" items in the user menu.
    group: str = "main"
    # A main item with a menu key sits in that drop-down of the top bar instead of on the bar itself.
    menu: str = ""


nav_items: dict[str, NavItem] = {}


@dataclass(frozen=True)
class NavMenu:
    """A drop-down of the top bar that gathers one module's pages (Sales: leads, opportunities, quotes…)."""

    key: str
    label: Promise | str
    order: int = 100
    icon: str = ""


nav_menus: dict[str, NavMenu] = {}


def nav_register(item: NavItem) -> None:
    nav_items[item.key] = item


# Called as hook(keep=contact, duplicate=contact, by=user) -> dict of counts when two contacts merge,
# so that apps owning rows that point at contacts move them over.
contact_merge_hooks: dict[str, Callable[..., dict[str, int]]] = {}
# Apps that own records shown on the customer timeline hide the events of records a reader may not
# see: hide(user, customer_ids) returns a filter of Event rows to leave out, or None to hide nothing.
timeline_filters: dict[str, Callable[[Any, list[int]], Any]] = {}
# The same when two customers merge: hook(keep=customer, duplicate=customer, by=user) -> counts.
customer_merge_hooks: dict[str, Callable[..., dict[str, int]]] = {}


@dataclass(frozen=True)
class DemoStep:
    """One app's share of the demo data. run(rng=random.Random, scale=str, out=callable) -> summary."""

    key: str
    order: int
    run: Callable[..., str]


demo_steps: dict[str, DemoStep] = {}


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler enqueues every `every_seconds`; the task itself must be idempotent."""

    key: str
    every_seconds: int
    enqueue: Callable[[], Any]


periodic_jobs: dict[str, PeriodicJob] = {}


# Where the timeline links an event's target: {"touchpoints.touchpoint": "touchpoints:detail"}.
event_links: dict[str, str] = {}


@dataclass(frozen=True)
class RecycleSection:
    """Deleted records of one kind that a user may restore, for the recycle bin page."""

    key: str
    label: Promise | str
    deleted: Callable[[Any], Any]  # deleted(user) -> QuerySet
    restore_url_name: str
    order: int = 100


recycle_sections: dict[str, RecycleSection] = {}


@dataclass(frozen=True)
class CheckResult:
    """A pre-confirmation check's answer: pass, warn (go on, but say why), block (stop, say why) or,
    for a quote, approve (a manager must approve it even within the rep's discount limit)."""

    check: str
    outcome: str  # "pass" | "warn" | "block" | "approve"
    message: str = ""


PASS, WARN, BLOCK, APPROVE = "pass", "warn", "block", "approve"

# Checks run before a contract is confirmed and before a quote is approved: check(record, user) ->
# CheckResult. The finance module registers the credit check here.
contract_checks: dict[str, Callable[[Any, Any], CheckResult]] = {}
quote_checks: dict[str, Callable[[Any, Any], CheckResult]] = {}
# Run inside the transaction that activates a contract: hook(contract, by). The delivery module
# registers one that opens the implementation project.
contract_activated_hooks: dict[str, Callable[[Any, Any], Any]] = {}
# Run inside the transaction that completes a handover to maintenance: hook(handover, by). The
# service module registers one that starts the warranty and turns open defects into requests.
handover_signed_hooks: dict[str, Callable[[Any, Any], Any]] = {}


@dataclass(frozen=True)
class TouchpointAction:
    """A button on a touchpoint's page that starts work a higher app owns ("Create lead" from a call).

    The button links to `url_name` with `?touchpoint=<id>`; it shows when visible(user, touchpoint).
    """

    key: str
    label: Promise | str
    url_name: str
    visible: Callable[[Any, Any], bool]
    order: int = 100
    icon: str = ""


touchpoint_actions: dict[str, TouchpointAction] = {}


def touchpoint_action_links(user: Any, touchpoint: Any) -> list[dict[str, Any]]:
    """The actions the user may take from this touchpoint, as {label, url, icon}, in order."""
    from django.urls import reverse

    chosen = sorted(touchpoint_actions.values(), key=lambda a: (a.order, a.key))
    return [
        {"label": a.label, "url": f"{reverse(a.url_name)}?touchpoint={touchpoint.pk}", "icon": a.icon}
        for a in chosen
        if a.visible(user, touchpoint)
    ]


@dataclass(frozen=True)
class RecordAction:
    """A button a higher app adds to a lower app's record page ("Override the credit block" on a contract).

    url(record) gives the link; it shows when visible(user, record).
    """

    key: str
    label: Promise | str
    url: Callable[[Any], str]
    visible: Callable[[Any, Any], bool]
    order: int = 100
    icon: str = ""


contract_actions: dict[str, RecordAction] = {}
quote_actions: dict[str, RecordAction] = {}
# Buttons in the customer 360's header: "Log a request", "Portal users"…; visible(user, customer) is
# asked for a customer the user may already see.
customer_actions: dict[str, RecordAction] = {}


def record_action_links(registry: dict[str, RecordAction], user: Any, record: Any) -> list[dict[str, Any]]:
    """The actions the user may take on this record, as {label, url, icon}, in order."""
    chosen = sorted(registry.values(), key=lambda a: (a.order, a.key))
    return [{"label": a.label, "url": a.url(record), "icon": a.icon} for a in chosen if a.visible(user, record)]


# The portal registers how to tell a customer user: the ids of the customers they may see, or None
# for staff. Access rules, the API and notifications ask `portal_customers` and never import the portal.
portal_scopes: dict[str, Callable[[Any], frozenset[int] | None]] = {}


def portal_customers(user: Any) -> frozenset[int] | None:
    for scope in portal_scopes.values():
        ids = scope(user)
        if ids is not None:
            return ids
    return None
