"""The task worker: runs queued background tasks until stopped."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker (database queue by default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        # No autoreload: `serve` and production stop the worker cleanly themselves.
        call_command("db_worker", interval=options["interval"], batch=options["batch"], reload=False,
                     verbosity=options["verbosity"])  # fmt: skip
