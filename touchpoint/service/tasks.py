"""Background tasks of the service app. Each is idempotent."""

from django_tasks import task

from touchpoint.service.services.flow import flow_sweep


@task()
def service_flow_sweep() -> dict[str, int]:
    """SLA warnings and breaches, stuck requests and their escalations, as of now."""
    return flow_sweep()


@task()
def service_contract_sweep() -> dict[str, int]:
    """Contracts whose period is over become expired, or renewed when a renewal follows them."""
    from touchpoint.service.services.contracts import contracts_sweep

    return contracts_sweep()


@task()
def service_renewal_reminders() -> dict[str, int]:
    """Sales reminded 90, 60 and 30 days before a contract ends, with one renewal opportunity."""
    from touchpoint.service.services.contracts import renewal_reminders_run

    return renewal_reminders_run()


@task()
def service_plan_orders() -> dict[str, int]:
    """The routine inspections due this period, scheduled as service requests with their checklist."""
    from touchpoint.service.services.plans import plan_generate_orders

    return plan_generate_orders()


@task()
def service_maintenance_daily() -> dict[str, int]:
    """The maintenance centre's daily round, in order: close lapsed contracts, remind sales of the
    ending ones, schedule the inspections, mark upgrades done whose requests are resolved, and send
    this quarter's NPS survey to customers not asked yet."""
    from touchpoint.service.services.campaigns import campaigns_mark_done
    from touchpoint.service.services.contracts import contracts_sweep, renewal_reminders_run
    from touchpoint.service.services.plans import plan_generate_orders
    from touchpoint.service.services.surveys import nps_send_quarterly

    counts: dict[str, int] = {}
    counts.update(contracts_sweep())
    counts.update(renewal_reminders_run())
    counts.update(plan_generate_orders())
    counts["upgrades_done"] = campaigns_mark_done()
    counts["nps_sent"] = nps_send_quarterly()
    return counts


@task()
def service_mailbox_poll() -> dict[str, int]:
    """One round over the support mailbox, beside or instead of the `service_mailbox` worker."""
    from touchpoint.service.mail.mailbox import mailbox_poll_configured

    return mailbox_poll_configured()
