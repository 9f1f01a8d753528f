"""Writes to finance settings: the credit policy and the dunning levels, each logged as an event."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.finance.models import CreditPolicy, DunningLevel

CREDIT_POLICY_CHANGED = event_type("finance.policy_changed", kind=EventKind.SYSTEM, label=gettext_lazy("Credit policy changed"))
DUNNING_LEVEL_SAVED = event_type("finance.dunning_level_saved", kind=EventKind.SYSTEM,
                                 label=gettext_lazy("Dunning level saved"))  # fmt: skip


@transaction.atomic
def credit_policy_save(*, form: Any, by: Any) -> CreditPolicy:
    """Save a validated credit policy form (the form checks every bound)."""
    changed = {name: str(form.cleaned_data[name]) for name in form.changed_data}
    policy: CreditPolicy = form.save()
    event_record(verb=CREDIT_POLICY_CHANGED, actor=by, target=policy, payload={"changes": changed})
    return policy


@transaction.atomic
def dunning_level_save(*, form: Any, by: Any) -> DunningLevel:
    level: DunningLevel = form.save()
    event_record(verb=DUNNING_LEVEL_SAVED, actor=by, target=level,
                 payload={"days": level.days, "name": level.name, "changed": list(form.changed_data)})  # fmt: skip
    return level
