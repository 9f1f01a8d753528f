"""The scheduler: enqueues each registered periodic job when it falls due.

Jobs are registered by the apps in `touchpoint.core.extensions.periodic_jobs`. Each job's task is
idempotent, so two schedulers or a restart never do the work twice.
"""

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from touchpoint.core.extensions import periodic_jobs


class Command(BaseCommand):
    help = "Enqueue periodic jobs on their schedule; --once enqueues every job once and exits."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--tick", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            for job in periodic_jobs.values():
                job.enqueue()
                self.stdout.write(f"enqueued {job.key}")
            return
        running = True

        def stop(*_: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        next_run = dict.fromkeys(periodic_jobs, 0.0)
        while running:
            now = time.monotonic()
            for key, job in periodic_jobs.items():
                if now >= next_run[key]:
                    job.enqueue()
                    next_run[key] = now + job.every_seconds
            time.sleep(options["tick"])
