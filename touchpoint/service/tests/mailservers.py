"""Real mail servers for the mail tests and the mail bench: Debian's dovecot as an IMAP server run by an
unprivileged user with a throwaway configuration (passwd-file login, a free port on 127.0.0.1, maildir
under a temporary directory, no TLS), and an aiosmtpd SMTP sink.

Use the `imap_server` and `smtp_sink` fixtures (registered by the tests that import them); tests that
need dovecot carry `needs_dovecot` and skip only when dovecot is not installed.
"""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
needs_dovecot = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)")

IMAP_USER = "support@touchpoint.example"
IMAP_PASSWORD = "mailbox-test-password"  # a throwaway test mailbox

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  user = {user}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
service stats {{
  user = {user}
}}
service log {{
  user = {user}
}}
service config {{
  user = {user}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    root: Path
    process: subprocess.Popen[bytes]
    folder: str = "INBOX"

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=30)
        client.login(self.user, self.password)
        return client

    def append(self, *raws: bytes) -> None:
        """Deliver messages into the mailbox through IMAP APPEND, in order."""
        client = self.client()
        try:
            for raw in raws:
                response: Any = client.append(self.folder, "", None, raw)  # type: ignore[arg-type]  # no date: now
                status, data = response
                if status != "OK":
                    raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def flags(self) -> dict[int, bytes]:
        client = self.client()
        try:
            client.select(self.folder)
            _status, data = client.uid("FETCH", "1:*", "(FLAGS)")
            found: dict[int, bytes] = {}
            for item in data:
                if isinstance(item, bytes) and b"UID" in item:
                    uid = int(item.split(b"UID ")[1].split()[0].rstrip(b")"))
                    found[uid] = item
            return found
        finally:
            client.logout()

    def config(self, **overrides: Any) -> Any:
        from touchpoint.service.mail.mailbox import MailboxConfig

        values: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user, "password": self.password, "folder": self.folder,
                  "ssl": False, "batch": 50} | overrides  # fmt: skip
        return MailboxConfig(**values)


def _unprivileged() -> tuple[str, int, int] | None:
    """The user dovecot runs as when the tests run as root; None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("dovecot", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return name, entry.pw_uid, entry.pw_gid
    raise RuntimeError("no unprivileged user to run dovecot as")


def start_dovecot() -> ImapServer:
    assert DOVECOT is not None
    root = Path(tempfile.mkdtemp(prefix="tp-dovecot-"))
    port = free_port()
    dropped = _unprivileged()
    if dropped is None:
        entry = pwd.getpwuid(os.getuid())
        user, uid, gid = entry.pw_name, entry.pw_uid, entry.pw_gid
    else:
        user, uid, gid = dropped
    import grp

    group = grp.getgrgid(gid).gr_name
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{root}/home/{IMAP_USER}\n")
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, port=port, user=user, group=group, uid=uid, gid=gid))
    if dropped is not None:
        for path in [root, *root.rglob("*")]:
            os.chown(path, uid, gid)
    process = subprocess.Popen(  # a fixed binary and our own config
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        user=uid if dropped else None, group=gid if dropped else None,
    )  # fmt: skip
    server = ImapServer(host="127.0.0.1", port=port, user=IMAP_USER, password=IMAP_PASSWORD, root=root, process=process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot stopped: {output}\n{log}")
        try:
            server.client().logout()
            return server
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    stop_dovecot(server)
    raise RuntimeError("dovecot did not start within 15 seconds")


def stop_dovecot(server: ImapServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    server = start_dovecot()
    try:
        yield server
    finally:
        stop_dovecot(server)


@dataclass
class Sink:
    """A real SMTP server that keeps what it receives."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the aiosmtpd hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def wait(self, count: int, timeout: float = 10) -> list[tuple[list[str], Message]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[Sink]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SERVICE_MAIL_ADDRESS = IMAP_USER
    try:
        yield sink
    finally:
        controller.stop()
