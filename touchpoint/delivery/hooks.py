"""Where delivery plugs into lower apps: a project for every activated contract, the daily health job."""

from typing import Any

from touchpoint.core.extensions import PeriodicJob, contract_activated_hooks, periodic_jobs
from touchpoint.delivery.services.projects import open_for_activated_contract

contract_activated_hooks["delivery_project"] = open_for_activated_contract


def _enqueue_health() -> Any:
    from touchpoint.delivery.tasks import daily_project_health

    return daily_project_health.enqueue()


periodic_jobs["daily_project_health"] = PeriodicJob("daily_project_health", every_seconds=24 * 3600, enqueue=_enqueue_health)
