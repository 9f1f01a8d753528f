"""Who may see users, departments and the policy table."""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.org.models import Department, User
from touchpoint.org.policy import S, may, register_entity, row, scoped

EVERYONE_VIEWS = {p: row(view=S.ALL) for p in ["sales_rep", "sales_manager", "project_manager", "engineer",
                                                "maintenance_agent", "maintenance_lead", "finance",
                                                "marketing", "executive"]}

register_entity(
    "user",
    label=_("Users"),
    defaults={**EVERYONE_VIEWS, "admin": row(S.ALL, S.ALL, S.ALL, S.ALL, S.ALL, S.ALL)},
)
register_entity(
    "department",
    label=_("Departments"),
    defaults={**EVERYONE_VIEWS, "admin": row(S.ALL, S.ALL, S.ALL, S.ALL, S.ALL, S.ALL)},
    actions=("view", "create", "edit", "delete"),
)
register_entity(
    "policy",
    label=_("Policy table"),
    defaults={"admin": row(view=S.ALL, edit=S.ALL)},
    actions=("view", "edit"),
)


def _self(user: Any) -> Q:
    return Q(pk=user.pk)


def visible_users(user: Any) -> QuerySet[User]:
    return scoped(User.objects.all(), user, entity="user", action="view", owner_path="pk", own=_self)


def visible_departments(user: Any) -> QuerySet[Department]:
    if not may(user, "department", "view"):
        return Department.objects.none()
    return Department.objects.all()


def can_edit_department(user: Any) -> bool:
    return may(user, "department", "edit")


def can_create_department(user: Any) -> bool:
    return may(user, "department", "create")


def can_view_policy(user: Any) -> bool:
    return may(user, "policy", "view")


def can_edit_policy(user: Any) -> bool:
    return may(user, "policy", "edit")


def can_edit_user(user: Any) -> bool:
    return may(user, "user", "edit")
