"""The policy table: position × entity × action → scope, and the queries it implies.

Every app's `access.py` builds its `visible_<entities>()` and `can_<verb>_<entity>()` on
`scoped()` and `allows()` here, so there is one choke point that says who sees what.

Defaults ship in code (`register_entity`); rows in `PolicyRule` override them. The effective
table is cached and the cache is dropped whenever an admin changes a rule.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise

from touchpoint.core.extensions import portal_customers
from touchpoint.org.models import Action, Membership, PolicyRule, Position, Scope, Team

CACHE_KEY = "org:policy-table:v1"

P = Position
A = Action
S = Scope


@dataclass(frozen=True)
class Entity:
    key: str
    label: Promise | str
    # defaults[position][action] = scope; anything missing is NONE.
    defaults: dict[str, dict[str, int]]
    actions: tuple[str, ...] = tuple(Action.values)


ENTITIES: dict[str, Entity] = {}


def register_entity(
    key: str, *, label: Promise | str, defaults: dict[str, dict[str, int]], actions: tuple[str, ...] | None = None
) -> Entity:
    entity = Entity(key=key, label=label, defaults=defaults, actions=actions or tuple(Action.values))
    ENTITIES[key] = entity
    return entity


def row(view: int = 0, create: int = 0, edit: int = 0, delete: int = 0, export: int = 0, assign: int = 0) -> dict[str, int]:
    """One position's defaults for an entity, in the order of the policy table's columns."""
    return {"view": view, "create": create, "edit": edit, "delete": delete, "export": export, "assign": assign}


def default_table() -> dict[tuple[str, str, str], int]:
    table = {}
    for entity in ENTITIES.values():
        for position in Position.values:
            for action in entity.actions:
                table[(position, entity.key, action)] = entity.defaults.get(position, {}).get(action, S.NONE)
    return table


def effective_table() -> dict[tuple[str, str, str], int]:
    table: dict[tuple[str, str, str], int] | None = cache.get(CACHE_KEY)
    if table is None:
        table = default_table()
        for position, entity, action, scope in PolicyRule.objects.values_list("position", "entity", "action", "scope"):
            table[(position, entity, action)] = scope
        cache.set(CACHE_KEY, table, timeout=None)
    return table


def invalidate() -> None:
    cache.delete(CACHE_KEY)


@dataclass(frozen=True)
class Grant:
    scope: int
    department_ids: frozenset[int]


def _memberships(user: Any) -> list[tuple[str, int]]:
    cached: list[tuple[str, int]] | None = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(Membership.objects.filter(user_id=user.pk).values_list("position", "department_id"))
        user._memberships_cache = cached
        user._positions_cache = {position for position, _ in cached}
    return cached


def grant(user: Any, entity: str, action: str) -> Grant:
    """The widest scope any of the user's positions gives, and the departments it applies to."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Grant(S.NONE, frozenset())
    if user.is_superuser:
        return Grant(S.ALL, frozenset())
    # One cache read per request: the user object lives as long as the request does.
    table = getattr(user, "_policy_table_cache", None)
    if table is None:
        table = effective_table()
        user._policy_table_cache = table
    best: int = S.NONE
    departments: set[int] = set()
    for position, department_id in _memberships(user):
        scope = table.get((position, entity, action), S.NONE)
        if scope > best:
            best = scope
        if scope >= S.DEPARTMENT:
            departments.add(department_id)
    return Grant(int(best), frozenset(departments))


def scope_of(user: Any, entity: str, action: str) -> int:
    return grant(user, entity, action).scope


def team_user_ids(user: Any) -> QuerySet:
    """Users in any team the user belongs to or leads, the user included, as a subquery."""
    teams = Team.objects.filter(Q(members=user) | Q(lead=user)).values("id")
    return Team.members.through.objects.filter(team_id__in=teams).values("user_id")


def department_user_ids(department_ids: frozenset[int]) -> QuerySet:
    return Membership.objects.filter(department_id__in=department_ids).values("user_id")


# own(user) returns the Q of records the user owns or sits on the account/project team of.
OwnRule = Callable[[Any], Q]


def scope_q(user: Any, *, entity: str, action: str, owner_path: str, own: OwnRule) -> Q | None:
    """The filter that a user's scope implies; None means no rows at all."""
    given = grant(user, entity, action)
    if given.scope == S.NONE:
        return None
    if given.scope >= S.ALL:
        return Q()
    condition = own(user)
    if given.scope >= S.TEAM:
        condition |= Q(**{f"{owner_path}__in": team_user_ids(user)})
    if given.scope >= S.DEPARTMENT:
        condition |= Q(**{f"{owner_path}__in": department_user_ids(given.department_ids)})
    return condition


def scoped(queryset: QuerySet, user: Any, *, entity: str, action: str, owner_path: str, own: OwnRule) -> QuerySet:
    condition = scope_q(user, entity=entity, action=action, owner_path=owner_path, own=own)
    if condition is None:
        return queryset.none()
    if condition == Q():
        return queryset
    return queryset.filter(condition)


def allows(user: Any, obj: Model, *, entity: str, action: str, owner_path: str, own: OwnRule) -> bool:
    """Whether the user's scope for `action` covers `obj`. One query at most."""
    condition = scope_q(user, entity=entity, action=action, owner_path=owner_path, own=own)
    if condition is None:
        return False
    if condition == Q():
        return True
    model = obj._meta.model  # not type(obj): request.user is a lazy wrapper
    manager = getattr(model, "all_objects", model._default_manager)
    return bool(manager.filter(condition, pk=obj.pk).exists())


def may(user: Any, entity: str, action: str) -> bool:
    """Whether the user has any scope at all for the action (menus, buttons, create)."""
    return scope_of(user, entity, action) > S.NONE


# --- Customer users (the portal) ---------------------------------------------------------------
# A customer user holds no position: the policy table gives them nothing. What they see instead is
# their own customer's rows of the entities whose Rules name a `portal_path`, for these actions only.
PORTAL_ACTIONS = frozenset({"view", "create"})


def portal_scope(user: Any) -> frozenset[int] | None:
    """The customer ids of a customer user, or None for staff. Staff holding a position never ask."""
    if user is None or not user.is_authenticated or not user.is_active or user.is_superuser:
        return None
    if _memberships(user):
        return None
    return portal_customers(user)


def portal_q(user: Any, *, portal_path: str, action: str) -> Q | None:
    """For a customer user the filter of their own customers' rows (None: no rows); for staff, None
    too, so callers ask `portal_scope` first."""
    customers = portal_scope(user)
    if customers is None or not portal_path or action not in PORTAL_ACTIONS or not customers:
        return None
    return Q(**{f"{portal_path}__in": sorted(customers)})


@dataclass(frozen=True)
class Rules:
    """How one entity's records map onto the policy table: who owns them and what counts as 'own'.

    An app's access functions are thin, named wrappers around these two calls.
    """

    entity: str
    owner_path: str
    own: OwnRule
    # Path to the customer key for portal users (customer users see their own customer's records);
    # empty: the entity never shows in the portal.
    portal_path: str = ""

    def scoped(self, user: Any, action: str, queryset: QuerySet) -> QuerySet:
        if portal_scope(user) is not None:
            condition = portal_q(user, portal_path=self.portal_path, action=action)
            return queryset.none() if condition is None else queryset.filter(condition)
        return scoped(queryset, user, entity=self.entity, action=action, owner_path=self.owner_path, own=self.own)

    def allows(self, user: Any, obj: Model, action: str) -> bool:
        if portal_scope(user) is not None:
            condition = portal_q(user, portal_path=self.portal_path, action=action)
            if condition is None:
                return False
            model = obj._meta.model
            manager = getattr(model, "all_objects", model._default_manager)
            return bool(manager.filter(condition, pk=obj.pk).exists())
        return allows(user, obj, entity=self.entity, action=action, owner_path=self.owner_path, own=self.own)

    def allows_on(self, user: Any, target: Model, action: str, *, owner_path: str, own: OwnRule) -> bool:
        """This entity's scope applied to another record, e.g. 'create a contact' on a customer."""
        return allows(user, target, entity=self.entity, action=action, owner_path=owner_path, own=own)
