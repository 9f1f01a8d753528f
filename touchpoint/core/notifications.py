"""In-app notifications: one per (recipient, key), so a job that runs twice never notifies twice."""

from collections.abc import Iterable

from touchpoint.core.models import Notification


def notify(recipients: Iterable[int | None] | int | None, key: str, text: str, url: str) -> None:
    """Notify each recipient (user ids; None is skipped) once per key, in one statement.

    `key` is the deduplication key; when several recipients share one, the recipient's id is part of
    the uniqueness already (the constraint is on recipient and key).
    """
    ids = [recipients] if recipients is None or isinstance(recipients, int) else list(recipients)
    rows = [Notification(recipient_id=pk, key=key[:120], text=text[:300], url=url[:300])
            for pk in dict.fromkeys(ids) if pk is not None]  # fmt: skip
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
