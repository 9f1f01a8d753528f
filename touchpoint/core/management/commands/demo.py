"""Load the demo data: every app's registered demo steps, in order.

`python -m touchpoint demo` loads the normal demo (staff, about 60 fictional securities firms,
2,000 touchpoints) through the services. `--scale full` adds the benchmark dataset by bulk
insert; `--scale 0.01` adds one percent of it. Each step notices data it loaded before and skips,
so a second run only prints the logins.
"""

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from touchpoint.core.extensions import demo_steps
from touchpoint.core.models import Event, EventKind

DEMO_LOADED = "demo.loaded"


def parse_scale(value: str) -> str:
    if value in ("small", "full"):
        return value
    try:
        factor = float(value)
    except ValueError as exc:
        raise CommandError("--scale takes small, full or a positive number such as 0.01") from exc
    if factor <= 0:
        raise CommandError("--scale must be positive")
    return value


class Command(BaseCommand):
    help = "Load demo data (and, with --scale, a benchmark-size dataset) and print one login per position."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", default="small", help="small (default), full, or a fraction of full: 0.01")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--force", action="store_true", help="load even though the database already holds data of its own"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = parse_scale(options["scale"])
        seed = options["seed"]
        first_run = not Event.objects.filter(verb=DEMO_LOADED).exists()
        # Events record every change made through the services: their presence without a demo
        # run means real work happened here, and demo firms should not be mixed into it by accident.
        if first_run and Event.objects.exists() and not options["force"]:
            raise CommandError(
                "This database already holds records of its own and no demo was loaded into it. "
                "Use --force to add the demo data anyway."
            )
        for step in sorted(demo_steps.values(), key=lambda s: (s.order, s.key)):
            started = time.monotonic()
            # Each step draws from its own generator, so one step's changes leave the others' data alike.
            summary = step.run(rng=random.Random(f"{seed}:{step.key}"), scale=scale, out=self.stdout.write)
            if summary:
                self.stdout.write(f"{summary} ({time.monotonic() - started:.1f} s)")
        if first_run:
            Event.objects.create(verb=DEMO_LOADED, kind=EventKind.SYSTEM, payload={"seed": seed, "scale": scale})
