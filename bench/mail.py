"""The support mailbox bench: N generated mails (new requests, replies, GBK, attachments, unknown
senders, out-of-office answers) appended to a real dovecot mailbox, then taken in by the real worker
code (`mailbox_poll`: IMAP SEARCH and FETCH in batches, parsing, threading, routing, \\Seen flags).
The figure is mails per second through the worker; the target is at least 50.

    python -m bench.mail --count 1000                          # a fresh SQLite file under var/bench/
    python -m bench.mail --count 1000 --database-url postgres://postgres@127.0.0.1:5432/tp_mail_bench
    python -m bench.mail --count 1000 --existing --out mail.json   # the database the environment names

Needs dovecot (`apt-get install dovecot-imapd`). The ingested requests stay in the database.
"""

import argparse
import base64
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_SECOND = 50.0
PDF = b"%PDF-1.4\n" + b"% bench attachment line\n" * 2000  # about 48 KB
SUBJECTS = ["行情服务器断线", "交易网关延迟高", "清算文件未生成", "报表导出乱码", "Login fails after upgrade", "风控参数需要调整"]
BODIES = [
    "早盘 9:20 起行情中断，请尽快处理。",
    "网关日志见附件，请协助分析。",
    "The overnight batch stopped at step 4.",
    "请确认升级窗口。",
]


def _plain(sender: str, subject: str, body: str, message_id: str, *, reply_to: str = "", auto: bool = False,
           attachment: bool = False) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@touchpoint.example", subject
    message["Message-ID"], message["Date"] = message_id, format_datetime(datetime.now(UTC))
    if reply_to:
        message["In-Reply-To"], message["References"] = reply_to, reply_to
    if auto:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(body)
    if attachment:
        message.add_attachment(PDF, maintype="application", subtype="pdf", filename="网关日志.pdf")
    return message.as_bytes()


def _gbk(sender: str, subject: str, body: str, message_id: str) -> bytes:
    """A GBK mail the way older Chinese clients send it: labelled gb2312, 8-bit body, encoded subject."""
    return (f"From: {sender}\r\nTo: support@touchpoint.example\r\nMessage-ID: {message_id}\r\n".encode()
            + b"Subject: =?gb2312?B?" + base64.b64encode(subject.encode("gbk")) + b"?=\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body.encode("gbk") + b"\r\n")  # fmt: skip


def generate(count: int, senders: list[str], seed: int = 2026) -> tuple[list[bytes], dict[str, int]]:
    """`count` raw mails: 45% new, 20% replies to earlier ones, 15% GBK, 10% with a PDF, 5% unknown
    senders, 5% out-of-office answers."""
    rng = random.Random(seed)
    mails: list[bytes] = []
    earlier: list[tuple[str, str]] = []  # (message id, sender) of new mails, to reply to
    mix = {"new": 0, "reply": 0, "gbk": 0, "attachment": 0, "unknown": 0, "auto": 0}
    for index in range(count):
        message_id = f"<bench-{seed}-{index}@mail.customer.example>"
        sender = rng.choice(senders)
        subject, body = rng.choice(SUBJECTS), rng.choice(BODIES)
        roll = rng.random()
        if roll < 0.20 and earlier:
            parent, sender = rng.choice(earlier)
            mails.append(_plain(sender, f"Re: {subject}", body, message_id, reply_to=parent))
            kind = "reply"
        elif roll < 0.35:
            mails.append(_gbk(sender, f"{subject}（镕）", body, message_id))
            earlier.append((message_id, sender))
            kind = "gbk"
        elif roll < 0.45:
            mails.append(_plain(sender, subject, body, message_id, attachment=True))
            earlier.append((message_id, sender))
            kind = "attachment"
        elif roll < 0.50:
            mails.append(_plain(f"user{index}@unknown-{index % 7}.example", subject, body, message_id))
            kind = "unknown"
        elif roll < 0.55:
            mails.append(_plain(sender, f"自动回复: {subject}", "我正在休假。", message_id, auto=True))
            kind = "auto"
        else:
            mails.append(_plain(sender, subject, body, message_id))
            earlier.append((message_id, sender))
            kind = "new"
        mix[kind] += 1
    return mails, mix


def _senders(minimum: int = 40) -> list[str]:
    """Contact addresses to send from; a small cast is made when the database has too few."""
    from touchpoint.customers.models import Contact
    from touchpoint.service.models import Queue, QueueMember

    addresses = list(Contact.objects.exclude(email="").order_by("id").values_list("email", flat=True)[:200])
    if len(addresses) < minimum:
        from touchpoint.customers.models import Customer
        from touchpoint.customers.services import contact_create
        from touchpoint.org.models import User
        from touchpoint.testing import make_personas

        if not User.objects.filter(username="rep").exists():
            make_personas()
        rep = User.objects.get(username="rep")
        customer = Customer.objects.filter(owner=rep).order_by("id").first()
        assert customer is not None
        for index in range(minimum):
            contact_create(by=rep, customer=customer, name=f"联系人{index}", email=f"contact{index}@htsc.example")
        addresses = list(Contact.objects.exclude(email="").order_by("id").values_list("email", flat=True)[:200])
        l1 = Queue.objects.get(code="l1")
        agent = User.objects.get(username="agent")
        QueueMember.objects.get_or_create(queue=l1, user=agent)
    return addresses


def mail_run(count: int, *, batch: int = 50) -> dict[str, Any]:
    """Append `count` generated mails to a fresh dovecot mailbox and time the worker over them."""
    from django.conf import settings
    from django.db import connection

    from touchpoint.service.mail.mailbox import mailbox_poll
    from touchpoint.service.models import InboundMail
    from touchpoint.service.tests.mailservers import start_dovecot, stop_dovecot

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # acknowledgements stay in memory
    settings.SERVICE_MAIL_FLOOD_LIMIT = 1_000_000
    settings.SERVICE_MAIL_ADDRESS = "support@touchpoint.example"
    mails, mix = generate(count, _senders())
    server = start_dovecot()
    try:
        started = time.perf_counter()
        server.append(*mails)
        append_seconds = time.perf_counter() - started
        before = InboundMail.objects.count()
        queries = 0

        def tally(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(tally):
            result = mailbox_poll(server.config(batch=batch))
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        stop_dovecot(server)
    rate = result.fetched / seconds if seconds else 0.0
    return {
        "database": connection.vendor,
        "count": count,
        "mix": mix,
        "fetched": result.fetched,
        "rows": InboundMail.objects.count() - before,
        "outcomes": result.outcomes,
        "append_seconds": round(append_seconds, 2),
        "seconds": round(seconds, 2),
        "mails_per_second": round(rate, 1),
        # The worker's own CPU time: on a machine shared with other work the wall clock says less.
        "cpu_seconds": round(cpu_seconds, 2),
        "mails_per_cpu_second": round(result.fetched / cpu_seconds, 1) if cpu_seconds else None,
        "queries_per_mail": round(queries / result.fetched, 1) if result.fetched else None,
        "load_average": os.getloadavg()[0],
        "target_per_second": TARGET_PER_SECOND,
        "meets_target": rate >= TARGET_PER_SECOND,
    }


def report_lines(figures: dict[str, Any]) -> list[str]:
    """The mailbox section of the bench report (markdown)."""
    verdict = "meets" if figures["meets_target"] else "below"
    return [
        "", "## Support mailbox (IMAP worker)", "",
        f"{figures['fetched']:,} mails through dovecot and `mailbox_poll` on {figures['database']}: "
        f"**{figures['mails_per_second']} mails/s** ({verdict} the {figures['target_per_second']:.0f}/s target), "
        f"{figures['mails_per_cpu_second']} mails per CPU-second of the worker, {figures['queries_per_mail']} queries per mail, "
        f"load average {figures['load_average']:.1f} during the run.", "",
        "| outcome | mails |", "|---|---:|",
        *(f"| {outcome} | {count:,} |" for outcome, count in sorted(figures["outcomes"].items())),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mail", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50, help="UIDs per IMAP FETCH")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: a fresh SQLite file under var/bench/")
    parser.add_argument("--existing", action="store_true", help="use the database the environment names, as it is")
    parser.add_argument("--out", default="", help="write the figures as JSON here")
    args = parser.parse_args()
    if not 1 <= args.count <= 100_000:
        parser.error("--count must be 1–100000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchpoint.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not args.existing:
        if args.database_url:
            os.environ["DATABASE_URL"] = args.database_url
        else:
            path = ROOT / "var" / "bench" / "mail.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for stale in path.parent.glob("mail.sqlite3*"):
                stale.unlink()
            os.environ["DATABASE_URL"] = ""
            os.environ["SQLITE_PATH"] = str(path)
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command

    if not args.existing:
        call_command("migrate", "--noinput", verbosity=0)
    figures = mail_run(args.count, batch=args.batch)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
