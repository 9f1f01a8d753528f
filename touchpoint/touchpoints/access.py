"""Who may see and do what with touchpoints, attachments and follow-ups.

A touchpoint is 'own' for whoever logged it, took part in it, or owns or serves its customer;
an attachment follows its touchpoint; a follow-up is 'own' for its assignee and its creator.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.access import CUSTOMER, account_customer_ids
from touchpoint.customers.models import Customer
from touchpoint.org.policy import Rules, S, may, register_entity, row
from touchpoint.touchpoints.models import Attachment, FollowUp, Touchpoint

ALL6 = row(S.ALL, S.ALL, S.ALL, S.ALL, S.ALL, S.ALL)

register_entity(
    "touchpoint",
    label=_("Touchpoints"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, delete=S.OWN, export=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM, delete=S.TEAM, export=S.DEPARTMENT),
        "project_manager": row(view=S.ALL, create=S.ALL, edit=S.OWN, delete=S.OWN, export=S.OWN),
        "engineer": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        "maintenance_agent": row(view=S.ALL, create=S.ALL, edit=S.OWN),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL, delete=S.ALL, export=S.ALL),
        "finance": row(view=S.ALL, create=S.ALL, edit=S.OWN, export=S.ALL),
        "marketing": row(view=S.ALL, create=S.OWN, edit=S.OWN, export=S.ALL),
        "executive": row(view=S.ALL, create=S.OWN, export=S.ALL),
        "admin": ALL6,
    },
    actions=("view", "create", "edit", "delete", "export"),
)
register_entity(
    "attachment",
    label=_("Attachments"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, delete=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, delete=S.TEAM),
        "project_manager": row(view=S.ALL, create=S.ALL, delete=S.OWN),
        "engineer": row(view=S.OWN, create=S.OWN),
        "maintenance_agent": row(view=S.ALL, create=S.ALL),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, delete=S.ALL),
        "finance": row(view=S.ALL, create=S.ALL),
        "marketing": row(view=S.ALL),
        "executive": row(view=S.ALL),
        "admin": ALL6,
    },
    actions=("view", "create", "delete"),
)
register_entity(
    "followup",
    label=_("Follow-ups"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN, delete=S.OWN, export=S.OWN, assign=S.OWN),
        "sales_manager": row(view=S.DEPARTMENT, create=S.TEAM, edit=S.TEAM, delete=S.TEAM, export=S.DEPARTMENT, assign=S.TEAM),
        "project_manager": row(view=S.TEAM, create=S.ALL, edit=S.OWN, delete=S.OWN, assign=S.OWN),
        "engineer": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        "maintenance_agent": row(view=S.OWN, create=S.ALL, edit=S.OWN, assign=S.OWN),
        "maintenance_lead": row(
            view=S.DEPARTMENT, create=S.ALL, edit=S.DEPARTMENT, delete=S.DEPARTMENT, export=S.DEPARTMENT, assign=S.DEPARTMENT
        ),
        "finance": row(view=S.OWN, create=S.ALL, edit=S.OWN, assign=S.OWN),
        "marketing": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        "executive": row(view=S.ALL, create=S.ALL, edit=S.OWN, export=S.ALL, assign=S.OWN),
        "admin": ALL6,
    },
)


def _attended(user: Any) -> QuerySet:
    return Touchpoint.participants.through.objects.filter(user_id=user.pk).values("touchpoint_id")


def _own_touchpoint(user: Any) -> Q:
    return (
        Q(logged_by_id=user.pk)
        | Q(pk__in=_attended(user))
        | Q(customer__owner_id=user.pk)
        | Q(customer_id__in=account_customer_ids(user))
    )


def _own_attachment(user: Any) -> Q:
    return (
        Q(touchpoint__logged_by_id=user.pk)
        | Q(touchpoint_id__in=_attended(user))
        | Q(customer__owner_id=user.pk)
        | Q(customer_id__in=account_customer_ids(user))
    )


def _own_followup(user: Any) -> Q:
    """Assigned to the user, planned by them, or on a customer they own."""
    return Q(assignee_id=user.pk) | Q(created_by_id=user.pk) | Q(customer__owner_id=user.pk)


TOUCHPOINT = Rules("touchpoint", owner_path="logged_by", own=_own_touchpoint)
ATTACHMENT = Rules("attachment", owner_path="touchpoint__logged_by", own=_own_attachment)
FOLLOWUP = Rules("followup", owner_path="assignee", own=_own_followup)


def visible_touchpoints(user: Any) -> QuerySet[Touchpoint]:
    return TOUCHPOINT.scoped(user, "view", Touchpoint.objects.all())


def exportable_touchpoints(user: Any) -> QuerySet[Touchpoint]:
    return TOUCHPOINT.scoped(user, "export", Touchpoint.objects.all())


def deleted_touchpoints(user: Any) -> QuerySet[Touchpoint]:
    return TOUCHPOINT.scoped(user, "delete", Touchpoint.all_objects.filter(deleted_at__isnull=False))


def can_view_touchpoint(user: Any, touchpoint: Touchpoint) -> bool:
    return TOUCHPOINT.allows(user, touchpoint, "view")


def can_edit_touchpoint(user: Any, touchpoint: Touchpoint) -> bool:
    return TOUCHPOINT.allows(user, touchpoint, "edit")


def can_delete_touchpoint(user: Any, touchpoint: Touchpoint) -> bool:
    return TOUCHPOINT.allows(user, touchpoint, "delete")


def can_create_touchpoint(user: Any, customer: Customer) -> bool:
    """Log a touchpoint on `customer`: the create scope must cover the customer."""
    return TOUCHPOINT.allows_on(user, customer, "create", owner_path=CUSTOMER.owner_path, own=CUSTOMER.own)


def may_export_touchpoints(user: Any) -> bool:
    return may(user, "touchpoint", "export")


def visible_attachments(user: Any) -> QuerySet[Attachment]:
    return ATTACHMENT.scoped(user, "view", Attachment.objects.all())


def can_view_attachment(user: Any, attachment: Attachment) -> bool:
    return ATTACHMENT.allows(user, attachment, "view")


def can_delete_attachment(user: Any, attachment: Attachment) -> bool:
    return ATTACHMENT.allows(user, attachment, "delete")


def can_add_attachment(user: Any, touchpoint: Touchpoint) -> bool:
    return ATTACHMENT.allows_on(user, touchpoint, "create", owner_path=TOUCHPOINT.owner_path, own=TOUCHPOINT.own)


def visible_followups(user: Any) -> QuerySet[FollowUp]:
    return FOLLOWUP.scoped(user, "view", FollowUp.objects.all())


def exportable_followups(user: Any) -> QuerySet[FollowUp]:
    return FOLLOWUP.scoped(user, "export", FollowUp.objects.all())


def deleted_followups(user: Any) -> QuerySet[FollowUp]:
    return FOLLOWUP.scoped(user, "delete", FollowUp.all_objects.filter(deleted_at__isnull=False))


def can_view_followup(user: Any, followup: FollowUp) -> bool:
    return FOLLOWUP.allows(user, followup, "view")


def can_edit_followup(user: Any, followup: FollowUp) -> bool:
    return FOLLOWUP.allows(user, followup, "edit")


def can_delete_followup(user: Any, followup: FollowUp) -> bool:
    return FOLLOWUP.allows(user, followup, "delete")


def can_reassign_followup(user: Any, followup: FollowUp) -> bool:
    """Hand a follow-up to a colleague: the assign scope must cover the follow-up."""
    return FOLLOWUP.allows(user, followup, "assign")


def can_create_followup(user: Any, customer: Customer) -> bool:
    return FOLLOWUP.allows_on(user, customer, "create", owner_path=CUSTOMER.owner_path, own=CUSTOMER.own)
