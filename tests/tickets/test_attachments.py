"""What an attachment may be: an allowed MIME type whose magic bytes agree, of the size
declared, under 10 MB, with a filename that is never a path."""

import hashlib

import pytest

from tests.payloads import HTML_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, SVG_BYTES
from tickets.attachments import MAX_ATTACHMENT_BYTES, AttachmentRejected, InspectedFile, clean_filename, inspect_file

TEXT_BYTES = "Saldo berkurang Rp 500.000 \u2013 transaksi gagal di ATM Mega Mall.\n".encode()


def _inspect(data: bytes, mime_type: str, *, filename: str = "receipt", size: int | None = -1) -> InspectedFile:
    return inspect_file(
        data=data,
        filename=filename,
        declared_mime_type=mime_type,
        declared_size=len(data) if size == -1 else size,
    )


def _rejection(data: bytes, mime_type: str, **kwargs) -> AttachmentRejected:
    with pytest.raises(AttachmentRejected) as exc_info:
        _inspect(data, mime_type, **kwargs)
    return exc_info.value


@pytest.mark.parametrize(
    ("data", "mime_type", "filename"),
    [
        (JPEG_BYTES, "image/jpeg", "atm_receipt.jpg"),
        (PNG_BYTES, "image/png", "screenshot.png"),
        (PDF_BYTES, "application/pdf", "statement.pdf"),
        (TEXT_BYTES, "text/plain", "notes.txt"),
    ],
    ids=["jpeg", "png", "pdf", "text"],
)
def test_accepts_allowed_file_whose_content_matches_its_mime_type(data, mime_type, filename):
    inspected = _inspect(data, mime_type, filename=filename)

    assert inspected == InspectedFile(
        filename=filename, mime_type=mime_type, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def test_sha256_is_that_of_the_content():
    assert _inspect(PDF_BYTES, "application/pdf").sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


@pytest.mark.parametrize("declared_size", [0, 1, len(JPEG_BYTES) - 1, len(JPEG_BYTES) + 1, 102400])
def test_declared_size_that_differs_from_the_content_is_rejected(declared_size):
    rejection = _rejection(JPEG_BYTES, "image/jpeg", size=declared_size)

    assert rejection.field == "size"


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (HTML_BYTES, "image/png"),
        (SVG_BYTES, "image/png"),
        (HTML_BYTES, "image/jpeg"),
        (SVG_BYTES, "application/pdf"),
        (PNG_BYTES, "image/jpeg"),
        (JPEG_BYTES, "image/png"),
        (JPEG_BYTES, "application/pdf"),
        (PDF_BYTES, "image/jpeg"),
        (TEXT_BYTES, "image/png"),
    ],
    ids=[
        "html-as-png",
        "svg-as-png",
        "html-as-jpeg",
        "svg-as-pdf",
        "png-as-jpeg",
        "jpeg-as-png",
        "jpeg-as-pdf",
        "pdf-as-jpeg",
        "text-as-png",
    ],
)
def test_content_whose_magic_bytes_contradict_the_declared_type_is_rejected(data, mime_type):
    assert _rejection(data, mime_type).field == "content"


@pytest.mark.parametrize(("data", "mime_type"), [(PNG_BYTES, "text/plain"), (PDF_BYTES, "text/plain")])
def test_binary_file_declared_as_plain_text_is_rejected(data, mime_type):
    assert _rejection(data, mime_type).field == "content"


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (HTML_BYTES, "text/html"),
        (SVG_BYTES, "image/svg+xml"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56, "application/x-msdownload"),
        (PDF_BYTES, "application/octet-stream"),
        (JPEG_BYTES, ""),
    ],
)
def test_mime_type_not_on_the_allow_list_is_rejected(data, mime_type):
    assert _rejection(data, mime_type).field == "mimeType"


@pytest.mark.parametrize("mime_type", ["image/jpeg", "application/pdf", "text/plain"])
def test_empty_content_is_rejected(mime_type):
    assert _rejection(b"", mime_type, size=0).field == "content"


def test_content_of_exactly_ten_megabytes_is_accepted():
    data = PDF_BYTES + b"\n" * (MAX_ATTACHMENT_BYTES - len(PDF_BYTES))

    assert _inspect(data, "application/pdf").size == 10 * 1024 * 1024


def test_content_over_ten_megabytes_is_rejected():
    data = PDF_BYTES + b"\n" * (10 * 1024 * 1024 + 1 - len(PDF_BYTES))

    assert _rejection(data, "application/pdf").field == "content"


def test_plain_text_with_a_nul_byte_is_rejected():
    assert _rejection(b"account 123\x00456\n", "text/plain").field == "content"


@pytest.mark.parametrize(
    "data", [b"caf\xe9 au lait\n", b"\xff\xfeh\x00i\x00", b"\xc3\x28"], ids=["latin-1", "utf-16", "bad"]
)
def test_plain_text_that_is_not_utf8_is_rejected(data):
    assert _rejection(data, "text/plain").field == "content"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("receipt.jpg", "receipt.jpg"),
        ("../../etc/passwd", "passwd"),
        ("/var/www/shell.php", "shell.php"),
        ("C:\\Users\\x\\receipt.jpg", "receipt.jpg"),
        ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
        ("rece\x00ipt.jpg", "receipt.jpg"),
        ("receipt\x00.jpg.exe", "receipt.jpg.exe"),
        ("line\nbreak.txt", "linebreak.txt"),
        ("struk transfer 15-01.pdf", "struk transfer 15-01.pdf"),
    ],
)
def test_clean_filename_keeps_only_the_last_path_component_without_control_characters(raw, expected):
    assert clean_filename(raw) == expected


@pytest.mark.parametrize("filename", ["../", "..", "/", "", "\x00", "C:\\temp\\"])
def test_filename_that_is_nothing_once_the_path_is_removed_is_rejected(filename):
    assert _rejection(JPEG_BYTES, "image/jpeg", filename=filename).field == "filename"


def test_inspected_file_carries_the_cleaned_filename():
    assert _inspect(JPEG_BYTES, "image/jpeg", filename="../../tmp/atm\x00_receipt.jpg").filename == "atm_receipt.jpg"
