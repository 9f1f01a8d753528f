"""`python -m touchpoint insights_rollup [--since DATE]`: rebuild the daily rollups of the maintenance centre."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchpoint.insights.rollups import rollup_rebuild


class Command(BaseCommand):
    help = "Recompute the daily rollups from the requests, handoffs and escalations (all days, or from --since)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="", help="first day to recompute, YYYY-MM-DD (default: every day)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError as error:
                raise CommandError("--since must be a date as YYYY-MM-DD") from error
        report = self.stdout.write if options["verbosity"] > 1 else None
        counts = rollup_rebuild(since=since, report=report)
        self.stdout.write(f"insights rollup: {counts['days']} days, {counts['rows']} rows")
