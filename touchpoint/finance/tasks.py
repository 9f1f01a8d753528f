"""Background tasks of the finance app. Each is idempotent."""

from django_tasks import task

from touchpoint.finance.risk import rescore_all
from touchpoint.finance.services.dunning import dunning_run
from touchpoint.sales.services.contracts import milestones_due_by_date


@task()
def daily_receivables() -> dict[str, int]:
    """Milestones whose date came fall due, risk scores follow the days, then the reminders go out."""
    due = milestones_due_by_date()
    scored = rescore_all()
    result = dunning_run()
    return {"milestones_due": due, "customers_scored": scored, "letters": result.letters, "invoices": result.invoices}
