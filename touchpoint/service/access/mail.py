"""Who may look at the support mailbox's log and act on it.

The log holds every mail the IMAP worker fetched, whoever sent it and whatever became of it, so it
is staff-only and position-based like the service settings: the maintenance lead and admins read it
and retry failed mails; maintenance agents read it (they triage what the mailbox lets in) and may
download a kept original, but do not retry. Portal users never see it.
"""

from typing import Any

from django.db.models import QuerySet

from touchpoint.org.models import Position
from touchpoint.service.models import InboundMail, MailOutcome

__all__ = [
    "can_retry_mail",
    "may_retry_mail",
    "may_view_mailbox",
    "visible_inbound_mails",
]

MAILBOX_READERS = frozenset({Position.ADMIN, Position.MAINTENANCE_LEAD, Position.MAINTENANCE_AGENT})
MAILBOX_MANAGERS = frozenset({Position.ADMIN, Position.MAINTENANCE_LEAD})


def _holds(user: Any, positions: frozenset[str]) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or positions & set(user.positions))


def may_view_mailbox(user: Any) -> bool:
    """The support mailbox page, its mails and their kept originals."""
    return _holds(user, MAILBOX_READERS)


def may_retry_mail(user: Any) -> bool:
    """Run a failed mail through intake again: the people who run the mailbox."""
    return _holds(user, MAILBOX_MANAGERS)


def visible_inbound_mails(user: Any) -> QuerySet[InboundMail]:
    return InboundMail.objects.all() if may_view_mailbox(user) else InboundMail.objects.none()


def can_retry_mail(user: Any, mail: InboundMail) -> bool:
    """Whether to offer the retry: a failed mail whose original was kept, for a mailbox manager."""
    return mail.outcome == MailOutcome.FAILED and bool(mail.raw) and may_retry_mail(user)
