"""Background tasks of the service app. Each is idempotent."""

from django_tasks import task

from touchpoint.service.services.flow import flow_sweep


@task()
def service_flow_sweep() -> dict[str, int]:
    """SLA warnings and breaches, stuck requests and their escalations, as of now."""
    return flow_sweep()
