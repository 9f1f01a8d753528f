"""Serve the CRM: gunicorn web workers, the task worker and the scheduler, stopped together."""

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server, the task worker and the scheduler."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        env = dict(os.environ)
        bind = f"{options['host']}:{options['port']}"
        children = [
            subprocess.Popen([python, "-m", "touchpoint", "worker"], env=env),  # noqa: S603
            subprocess.Popen([python, "-m", "touchpoint", "scheduler"], env=env),  # noqa: S603
        ]
        web = subprocess.Popen(  # noqa: S603
            [python, "-m", "gunicorn", "touchpoint.wsgi", "--bind", bind, "--workers", str(options["workers"]),
             "--worker-class", "gthread", "--threads", "4", "--preload", "--access-logfile", "-"],
            env=env,
        )  # fmt: skip
        self.stdout.write(f"Touchpoint CRM is serving on http://{bind}/ (Ctrl-C stops it)")
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in [web, *children]:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in [web, *children]:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
