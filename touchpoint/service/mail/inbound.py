"""Reading one inbound mail: headers, text, sanitised HTML and attachments out of raw RFC 5322 bytes,
and the signs that no person wrote it (a bounce, an auto-reply).

Nothing here touches the database, and nothing here raises on bad input: a header that cannot be
read becomes empty and a body in an unknown charset is decoded as well as it can be, because a
customer's mail must never be lost to a parsing error.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import nh3

# Chinese mail often says gb2312 and holds GBK or GB18030; GB18030 is a superset of all three.
CHARSET_ALIASES = {
    "gb2312": "gb18030", "gb_2312": "gb18030", "gb_2312-80": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030",
    "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "ms936": "gb18030", "windows-936": "gb18030",
    "x-gb18030": "gb18030", "unicode-1-1-utf-7": "utf-7", "utf8": "utf-8", "ks_c_5601-1987": "cp949",
}  # fmt: skip
TOKEN = re.compile(r"\b(SR-\d{4}-\d{3,})\b", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|回复|答复)\s*[:：]\s*)?(?:automatic reply|auto[- ]?reply|auto[- ]?response|autoreply|out of (?:the )?office"
    r"|away from (?:the )?office|on vacation|vacation reply|自动回复|自动答复|自動回覆|休假中|外出中|不在办公室)"
    r"|out of (?:the )?office|自动回复|自动答复",
    re.IGNORECASE,
)  # fmt: skip
BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliver(?:able|ed)|delivery status notification|mail delivery failed|returned mail|delivery failure"
    r"|退信|系统退信|投递失败|邮件无法送达)",
    re.IGNORECASE,
)  # fmt: skip
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
SANITISED_URL_SCHEMES = {"http", "https", "mailto", "cid"}


@dataclass
class MailAttachment:
    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    message_id: str
    synthesised_id: bool
    in_reply_to: str
    references: list[str]
    sender: str
    sender_name: str
    subject: str
    sent_at: datetime | None
    text: str
    html: str
    attachments: list[MailAttachment]
    size: int
    bounce: str = ""  # why the mail is a bounce or a delivery report, else empty
    auto_reply: str = ""  # why the mail was written by a machine, else empty
    problems: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The ids this mail answers, the most recent first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [mid for mid in reversed(self.references) if mid not in ids]
        return ids

    @property
    def tokens(self) -> list[str]:
        return [token.upper() for token in TOKEN.findall(self.subject)]


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset when it works, else UTF-8, else GB18030, never failing."""
    tried: list[str] = []
    for candidate in (charset, "utf-8", "gb18030"):
        if not candidate:
            continue
        name = CHARSET_ALIASES.get(candidate.strip().strip('"').lower(), candidate.strip().strip('"').lower())
        if name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode(CHARSET_ALIASES.get((charset or "").lower(), "utf-8") if charset else "utf-8", errors="replace")


def decode_header_text(value: object) -> str:
    """A header's text: RFC 2047 words in any charset, raw 8-bit bytes (GBK or UTF-8), folding undone."""
    if value is None:
        return ""
    text = str(value)
    try:
        pieces = decode_header(text)
    except Exception:  # a broken encoded word leaves the text as it came
        pieces = [(text, None)]
    out: list[str] = []
    for piece, charset in pieces:
        if isinstance(piece, bytes):
            out.append(decode_bytes(_unescape(piece), charset))
        else:
            out.append(decode_bytes(piece.encode("utf-8", "surrogateescape"), None) if _has_surrogates(piece) else piece)
    joined = "".join(out) if any(isinstance(p, bytes) for p, _c in pieces) else " ".join(out) if len(out) > 1 else "".join(out)
    return re.sub(r"\s*[\r\n]+\s*", " ", joined).replace("\x00", "").strip()


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _unescape(piece: bytes) -> bytes:
    """decode_header hands 8-bit input back as surrogate-escaped text encoded to bytes; undo that."""
    try:
        return piece.decode("utf-8", "surrogateescape").encode("utf-8", "surrogateescape")
    except UnicodeError:
        return piece


def _raw_header(message: Message, name: str) -> str:
    """The header as it came (the first one), without the policy's parsing, which can fail."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _raw_headers(message: Message, name: str) -> list[str]:
    return [str(value) for key, value in message.raw_items() if key.lower() == name.lower()]


def _message_ids(value: str) -> list[str]:
    return [mid[:250] for mid in MESSAGE_ID.findall(value or "")]


def _address(value: str) -> tuple[str, str]:
    """(name, lower-case address) of the first address in the header; empty when there is none."""
    decoded = decode_header_text(value)
    try:
        pairs = getaddresses([decoded])
    except Exception:  # an unparseable address list yields no address
        pairs = []
    for name, address in pairs:
        if "@" in address:
            return name.strip()[:200], address.strip().lower()[:254]
    found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", decoded)
    return ("", found.group(0).lower()[:254]) if found else ("", "")


def _date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _TextExtractor(HTMLParser):
    """HTML to plain text: scripts and styles dropped, block elements on their own lines."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # a broken document keeps whatever text was read
        extractor.parts.append("")
    text = "".join(extractor.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitise_html(html: str) -> str:
    """Safe to show: no script, style, event handler, form or javascript: URL survives."""
    if not html.strip():
        return ""
    return nh3.clean(html, url_schemes=SANITISED_URL_SCHEMES, link_rel="noopener noreferrer nofollow")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a malformed Content-Disposition still leaves the part
        name = ""
    if not name:
        try:
            name = str(part.get_param("name") or "")
        except Exception:
            name = ""
    name = decode_header_text(name) if name else ""
    return name.replace("/", "_").replace("\\", "_").strip()[:200]


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # undecodable transfer encoding: take the bytes as they are
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _walk(part: Message, plain: list[str], html: list[str], attachments: list[MailAttachment], problems: list[str]) -> None:
    try:
        content_type = part.get_content_type()
    except Exception:
        content_type = "application/octet-stream"
    if content_type == "message/rfc822" or (content_type.startswith("message/") and part.is_multipart()):
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(inner_message, Message):
            data = inner_message.as_bytes(policy=policy.compat32)
            subject = decode_header_text(_raw_header(inner_message, "Subject"))
            attachments.append(MailAttachment(name=_filename(part) or f"{subject or 'message'}.eml"[:200],
                                              content_type="message/rfc822", data=data))  # fmt: skip
        return
    if part.is_multipart():
        children = part.get_payload()
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Message):
                _walk(child, plain, html, attachments, problems)
        return
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    name = _filename(part)
    data = _payload(part)
    if disposition != "attachment" and not name and content_type in ("text/plain", "text/html"):
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text = decode_bytes(data, charset)
        (plain if content_type == "text/plain" else html).append(text)
        return
    if not data:
        return
    if not name:
        extension = {"text/plain": "txt", "text/html": "html", "image/png": "png", "image/jpeg": "jpg",
                     "application/pdf": "pdf"}.get(content_type, "bin")  # fmt: skip
        name = f"attachment-{len(attachments) + 1}.{extension}"
    attachments.append(MailAttachment(name=name, content_type=content_type, data=data))


def _auto_reply_reason(message: Message, subject: str) -> str:
    auto_submitted = decode_header_text(_raw_header(message, "Auto-Submitted")).lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"[:200]
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply"):
        if _raw_header(message, name):
            return f"{name} header"
    precedence = decode_header_text(_raw_header(message, "Precedence")).lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if AUTO_SUBJECT.search(subject):
        return f"Out-of-office subject: {subject}"[:200]
    return ""


def _bounce_reason(message: Message, sender: str, subject: str) -> str:
    try:
        content_type = message.get_content_type()
    except Exception:
        content_type = ""
    if content_type == "multipart/report":
        report = str(message.get_param("report-type") or "report")
        return f"multipart/report ({report})"[:200]
    if sender.split("@")[0] in BOUNCE_SENDERS:
        return f"sent by {sender}"
    if _raw_header(message, "X-Failed-Recipients"):
        return "X-Failed-Recipients header"
    return_path = _raw_header(message, "Return-Path").strip()
    if return_path.replace(" ", "") == "<>":
        return "Return-Path: <>"
    if BOUNCE_SUBJECT.search(subject) and not sender:
        return f"Bounce subject: {subject}"[:200]
    return ""


def parse_mail(raw: bytes) -> ParsedMail:
    """Read one raw message; bad headers and bodies are read as well as they can be, never raised."""
    problems: list[str] = []
    message = message_from_bytes(raw, policy=policy.default)
    if message.defects:
        problems.extend(type(defect).__name__ for defect in message.defects[:5])

    ids = _message_ids(_raw_header(message, "Message-ID"))
    synthesised = not ids
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:40]}@content-hash.invalid>"
    reply_ids = _message_ids(_raw_header(message, "In-Reply-To"))
    references = _message_ids(" ".join(_raw_headers(message, "References")))[-30:]
    sender_name, sender = _address(_raw_header(message, "From"))
    if not sender:
        sender_name, sender = _address(_raw_header(message, "Sender") or _raw_header(message, "Reply-To"))
    subject = decode_header_text(_raw_header(message, "Subject"))[:300]

    plain: list[str] = []
    html_parts: list[str] = []
    attachments: list[MailAttachment] = []
    try:
        _walk(message, plain, html_parts, attachments, problems)
    except Exception as error:  # a body that defeats the parser is kept as text
        problems.append(f"body: {type(error).__name__}")
        body = raw.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[-1]
        plain = [decode_bytes(body, None)]
    html = "\n".join(html_parts)
    text = "\n\n".join(part.strip() for part in plain if part.strip()) or html_to_text(html)
    return ParsedMail(
        message_id=message_id, synthesised_id=synthesised, in_reply_to=reply_ids[0] if reply_ids else "",
        references=references, sender=sender, sender_name=sender_name, subject=subject,
        sent_at=_date(decode_header_text(_raw_header(message, "Date"))), text=text.replace("\x00", ""),
        html=sanitise_html(html), attachments=attachments, size=len(raw),
        bounce=_bounce_reason(message, sender, subject), auto_reply=_auto_reply_reason(message, subject), problems=problems,
    )  # fmt: skip
