"""What an attachment may be. Pure: bytes and declared values in, problems out.

A file is accepted when its declared MIME type is on the allow-list and its content's
magic bytes say the same thing; a declared size must equal the real one. Plain text has
no magic bytes, so it must decode as UTF-8 and hold no NUL byte."""

import hashlib
import posixpath
import unicodedata
from dataclasses import dataclass

import filetype

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# declared MIME type → MIME types the content's magic bytes may show.
ALLOWED_MIME_TYPES: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"image/jpeg"}),
    "image/png": frozenset({"image/png"}),
    "image/gif": frozenset({"image/gif"}),
    "image/webp": frozenset({"image/webp"}),
    "image/heic": frozenset({"image/heic"}),
    "application/pdf": frozenset({"application/pdf"}),
    "text/plain": frozenset(),
    "text/csv": frozenset(),
    # Office files are ZIP containers; filetype names them when it can, else "zip".
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset(
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"}
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset(
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"}
    ),
}
TEXT_TYPES = frozenset({"text/plain", "text/csv"})


@dataclass(frozen=True)
class InspectedFile:
    filename: str
    mime_type: str
    size: int
    sha256: str


class AttachmentRejected(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


def clean_filename(raw: str) -> str:
    """The last path component, without control characters; never a path."""
    name = raw.replace("\\", "/")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = posixpath.basename(name).strip().lstrip(".")
    return name[:255]


def sniff_mime_type(data: bytes) -> str | None:
    kind = filetype.guess(data[:8192])
    return kind.mime if kind else None


def inspect_file(*, data: bytes, filename: str, declared_mime_type: str, declared_size: int | None) -> InspectedFile:
    name = clean_filename(filename)
    if not name:
        raise AttachmentRejected("filename", "Filename is empty once any path is removed.")
    mime_type = declared_mime_type.strip().lower()
    if mime_type not in ALLOWED_MIME_TYPES:
        raise AttachmentRejected(
            "mimeType", f"MIME type {declared_mime_type!r} is not accepted. Accepted: {', '.join(ALLOWED_MIME_TYPES)}."
        )
    if len(data) == 0:
        raise AttachmentRejected("content", "Content is empty.")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected("content", f"Content is larger than {MAX_ATTACHMENT_BYTES} bytes.")
    if declared_size is not None and declared_size != len(data):
        raise AttachmentRejected(
            "size", f"Declared size {declared_size} does not match the content ({len(data)} bytes)."
        )
    if mime_type in TEXT_TYPES:
        if b"\x00" in data or sniff_mime_type(data) is not None:
            raise AttachmentRejected("content", f"Content is not {mime_type}.")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise AttachmentRejected("content", f"Content is not UTF-8 {mime_type}.") from None
    else:
        sniffed = sniff_mime_type(data)
        if sniffed not in ALLOWED_MIME_TYPES[mime_type]:
            raise AttachmentRejected(
                "content", f"Content does not match MIME type {mime_type} (it looks like {sniffed or 'unknown data'})."
            )
    return InspectedFile(filename=name, mime_type=mime_type, size=len(data), sha256=hashlib.sha256(data).hexdigest())
