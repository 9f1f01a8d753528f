"""Background tasks of the delivery app. Each is idempotent."""

from django_tasks import task

from touchpoint.delivery.services.health import health_refresh_all


@task()
def daily_project_health() -> dict[str, int]:
    """Days passing make tasks and milestones overdue: every running project's health is recomputed."""
    return {"changed": health_refresh_all()}
