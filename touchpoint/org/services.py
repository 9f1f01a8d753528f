"""Writes for users, departments and the policy table."""

from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.org import policy
from touchpoint.org.models import Department, Membership, PolicyRule, User

USER_DEACTIVATED = event_type("user.deactivated", kind=EventKind.SYSTEM, label=_("User deactivated"))
POLICY_CHANGED = event_type("policy.changed", kind=EventKind.SYSTEM, label=_("Policy table changed"))
DEPARTMENT_SAVED = event_type("department.saved", kind=EventKind.SYSTEM, label=_("Department saved"))


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    full_name: str = "",
    email: str = "",
    department: Department | None = None,
    positions: list[str] = (),  # type: ignore[assignment]
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        department=department,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for position in positions:
        if department is None:
            raise ValueError("A position is held in a department")
        Membership.objects.create(user=user, department=department, position=position)
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: Any) -> User:
    """Deactivate a user and end every session and API token they hold, at once."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    Token.objects.filter(user=user).delete()
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            doomed.append(session.session_key)
    Session.objects.filter(session_key__in=doomed).delete()
    event_record(verb=USER_DEACTIVATED, actor=by, target=user, payload={"username": user.username})
    return user


@transaction.atomic
def policy_set_scope(*, position: str, entity: str, action: str, scope: int, by: Any) -> bool:
    """Set one cell of the policy table; returns whether anything changed."""
    if entity not in policy.ENTITIES or action not in policy.ENTITIES[entity].actions:
        raise ValueError(f"Unknown policy cell {entity}/{action}")
    before = policy.effective_table().get((position, entity, action), policy.S.NONE)
    if before == scope:
        return False
    PolicyRule.objects.update_or_create(
        position=position, entity=entity, action=action, defaults={"scope": scope}
    )
    event_record(
        verb=POLICY_CHANGED,
        actor=by,
        payload={"position": position, "entity": entity, "action": action, "old": before, "new": scope},
    )
    policy.invalidate()
    transaction.on_commit(policy.invalidate)
    return True


@transaction.atomic
def department_save(*, department: Department, by: Any) -> Department:
    department.full_clean()
    department.save()
    event_record(
        verb=DEPARTMENT_SAVED, actor=by, target=department, payload={"code": department.code, "name": department.name}
    )
    return department
