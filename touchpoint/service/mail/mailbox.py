"""The IMAP side of the support mailbox: fetch the messages that arrived since the last UID seen, in
batches, hand each to the inbound service, flag it \\Seen, and remember how far the mailbox was read.

The state row is saved after every batch, and every mail is idempotent on its UID and Message-ID,
so a worker stopped at any moment picks up where it left off without taking a mail in twice.
"""

import imaplib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from touchpoint.service.models import MailboxState, MailOutcome
from touchpoint.service.services.inbound import mail_ingest

log = logging.getLogger(__name__)

UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
FETCH_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True
    batch: int = 50
    timeout: int = 60

    @property
    def name(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"[:200]

    @classmethod
    def from_settings(cls) -> "MailboxConfig | None":
        if not settings.IMAP_HOST:
            return None
        return cls(host=settings.IMAP_HOST, port=settings.IMAP_PORT, user=settings.IMAP_USER, password=settings.IMAP_PASSWORD,
                   folder=settings.IMAP_FOLDER, ssl=settings.IMAP_SSL, batch=max(1, settings.IMAP_BATCH))  # fmt: skip


@dataclass
class PollResult:
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    last_uid: int = 0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def connect(config: MailboxConfig) -> imaplib.IMAP4:
    client: imaplib.IMAP4
    if config.ssl:
        client = imaplib.IMAP4_SSL(config.host, config.port, timeout=config.timeout)
    else:
        client = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
    client.login(config.user, config.password)
    return client


def _check(response: tuple[str, Any], what: str) -> Any:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> int:
    data = _check(client.status(_quoted(folder), "(UIDVALIDITY)"), "STATUS")
    found = UIDVALIDITY.search(b" ".join(item for item in data if isinstance(item, bytes)))
    if found is None:
        raise imaplib.IMAP4.error("the server gave no UIDVALIDITY")
    return int(found.group(1))


def _new_uids(client: imaplib.IMAP4, after: int) -> list[int]:
    data = _check(client.uid("SEARCH", f"UID {after + 1}:*"), "SEARCH")
    # "n:*" always matches the last message, even when its UID is below n.
    return sorted(uid for uid in (int(token) for token in b" ".join(data).split()) if uid > after)


def _fetch(client: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    data = _check(client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])"), "FETCH")
    messages: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            found = FETCH_UID.search(item[0])
            if found is not None:
                messages[int(found.group(1))] = item[1]
    return messages


def mailbox_poll(config: MailboxConfig, *, client: imaplib.IMAP4 | None = None, limit: int | None = None) -> PollResult:
    """Take in everything new in the mailbox (or up to `limit` mails); returns what became of them."""
    own_client = client is None
    client = client or connect(config)
    result = PollResult()
    state, _created = MailboxState.objects.get_or_create(mailbox=config.name)
    try:
        validity = _uidvalidity(client, config.folder)
        _check(client.select(_quoted(config.folder)), "SELECT")
        if state.uidvalidity != validity:
            # The folder was renumbered: read it again; the Message-IDs keep this from duplicating.
            state.uidvalidity, state.last_uid = validity, 0
        uids = _new_uids(client, state.last_uid)
        if limit is not None:
            uids = uids[:limit]
        for start in range(0, len(uids), config.batch):
            batch = uids[start : start + config.batch]
            messages = _fetch(client, batch)
            # A batch's mails and the mailbox's position commit together (each mail in a savepoint of
            # its own): a worker stopped half-way reads the batch again and finds nothing done twice.
            with transaction.atomic():
                for uid in batch:
                    raw = messages.get(uid)
                    if raw is None:  # expunged between SEARCH and FETCH
                        continue
                    ingested = mail_ingest(raw=raw, mailbox=config.name, uid=uid, uidvalidity=validity)
                    result.fetched += 1
                    result.count(ingested.mail.outcome if ingested.new else MailOutcome.DUPLICATE)
                state.last_uid = max(state.last_uid, batch[-1])
                state.polled_at, state.last_error = timezone.now(), ""
                state.save()
            client.uid("STORE", ",".join(map(str, batch)), "+FLAGS.SILENT", "(\\Seen)")
        state.polled_at, state.last_error = timezone.now(), ""
        state.save()
        result.last_uid = state.last_uid
        return result
    except Exception as error:
        state.last_error = f"{type(error).__name__}: {error}"[:500]
        state.save(update_fields=["last_error"])
        raise
    finally:
        if own_client:
            try:
                client.logout()
            except Exception:  # the connection may already be gone
                log.debug("IMAP logout failed", exc_info=True)


def mailbox_poll_configured() -> dict[str, int]:
    """One round over the mailbox the settings name, for a scheduled task; nothing when IMAP is off.
    Safe next to a running `service_mailbox` worker: every mail is idempotent."""
    config = MailboxConfig.from_settings()
    if config is None:
        return {}
    result = mailbox_poll(config)
    return {"fetched": result.fetched, **result.outcomes}
