"""Background tasks of the touchpoints app. Each is idempotent."""

from django_tasks import task

from touchpoint.touchpoints.services import followups_remind_due


@task()
def remind_due_followups() -> int:
    return followups_remind_due()
