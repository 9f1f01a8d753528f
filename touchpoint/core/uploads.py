"""Checks for uploaded files: size, an allowed extension, and content that matches it.

The extension alone proves nothing (an .exe renamed .pdf, `.pHp`), so the first bytes must carry
the signature of the type the extension claims.
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

# extension -> (content type, accepted leading signatures; empty means text)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "tif": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "tiff": ("image/tiff", (b"II*\x00", b"MM\x00*")),
    "doc": ("application/msword", (OLE,)),
    "xls": ("application/vnd.ms-excel", (OLE,)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP,)),
    "ofd": ("application/ofd", (ZIP,)),
    "zip": ("application/zip", (ZIP,)),
    "txt": ("text/plain", ()),
    "csv": ("text/csv", ()),
    "eml": ("message/rfc822", ()),
}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head or head.startswith(b"MZ") or head.startswith(b"\x7fELF"):
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    # A multi-byte character may be cut at the end of the sample.
    try:
        head[:-3].decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Validate one upload; raise ValidationError with a message the uploader can act on."""
    name = PurePath((upload.name or "").replace("\\", "/")).name.strip().replace("\x00", "")
    if not name:
        raise ValidationError(_("The file has no name."), code="name")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large: the limit is %(limit)s.") % {"name": name, "limit": filesizeformat(limit)},
            code="size",
        )
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in ALLOWED:
        raise ValidationError(
            _("Files of type .%(ext)s are not accepted. Accepted: %(allowed)s.")
            % {"ext": extension or "?", "allowed": ", ".join(sorted(ALLOWED))},
            code="type",
        )
    content_type, signatures = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    matches = _looks_like_text(head) if not signatures else any(head.startswith(sig) for sig in signatures)
    if not matches:
        raise ValidationError(
            _("%(name)s is not really a .%(ext)s file; its content is of another type.")
            % {"name": name, "ext": extension},
            code="disguised",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(name=name[:200], content_type=content_type, size=upload.size, sha256=digest.hexdigest())
