"""The support mailbox worker: `python -m touchpoint service_mailbox [--once] [--interval N]`.

Runs as its own process. Each round takes in everything new in the IMAP mailbox configured by the
IMAP_* settings; a failed round is logged and retried after the interval.
"""

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from touchpoint.service.mail.mailbox import MailboxConfig, mailbox_poll


class Command(BaseCommand):
    help = "Read the support mailbox (IMAP) into service requests."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Read the mailbox once and stop.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between two rounds (default 60).")

    def handle(self, *args: Any, once: bool = False, interval: int = 60, **options: Any) -> None:
        config = MailboxConfig.from_settings()
        if config is None:
            raise CommandError("IMAP is not configured: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD.")
        if interval < 1:
            raise CommandError("--interval must be at least 1 second.")
        stopping = False

        def stop(*_args: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            try:
                result = mailbox_poll(config)
            except Exception as error:  # the mailbox or the network failed: try again next round
                if once:
                    raise CommandError(f"{config.name}: {type(error).__name__}: {error}") from error
                self.stderr.write(f"{config.name}: {type(error).__name__}: {error}")
            else:
                summary = ", ".join(f"{outcome} {count}" for outcome, count in sorted(result.outcomes.items()))
                self.stdout.write(f"{config.name}: {result.fetched} mail(s){': ' + summary if summary else ''}")
            if once:
                return
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
            if stopping:
                return
