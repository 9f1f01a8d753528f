"""The insights app's periodic job: the incremental rollup."""

from typing import Any

from touchpoint.core.extensions import PeriodicJob, periodic_jobs


def _enqueue_rollup() -> Any:
    from touchpoint.insights.tasks import insights_rollup

    return insights_rollup.enqueue()


# Every ten minutes: the reports and the flow chart lag the requests by at most that.
periodic_jobs["insights_rollup"] = PeriodicJob("insights_rollup", every_seconds=600, enqueue=_enqueue_rollup)
