"""The insights step of the demo data (order 1750, after every share that writes requests): the daily
rollups rebuilt over whatever the demo and the scale dataset loaded, unless they are up to date."""

import random
import time
from collections.abc import Callable

from django.db.models import Max

from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.insights.models import Watermark
from touchpoint.insights.rollups import rollup_rebuild
from touchpoint.service.models import Handoff, ServiceRequest


def up_to_date() -> bool:
    mark = Watermark.objects.filter(key="handoff").first()
    return mark is not None and mark.last_id >= (Handoff.objects.aggregate(top=Max("id"))["top"] or 0)


def load_rollups(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if not ServiceRequest.objects.exists():
        return ""
    if up_to_date():
        return "bulk insights: rollups already up to date"
    started = time.monotonic()
    counts = rollup_rebuild()
    return f"bulk insights: rollups rebuilt, {counts['days']} days, {counts['rows']} rows in {time.monotonic() - started:.1f} s"


demo_steps["insights.rollup"] = DemoStep(key="insights.rollup", order=1750, run=load_rollups)
