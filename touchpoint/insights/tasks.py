"""Background tasks of the insights app. Each is idempotent."""

from django_tasks import task

from touchpoint.insights.rollups import rollup_incremental


@task()
def insights_rollup() -> dict[str, int]:
    """Recompute the rollup days touched by requests, handoffs and escalations since the last run."""
    return rollup_incremental()
