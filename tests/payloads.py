"""Request bodies from the spec's examples, and small real files for attachments."""

import base64
import copy

# Minimal files whose magic bytes identify them.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def attachment(data: bytes = JPEG_BYTES, *, filename="atm_receipt.jpg", mime_type="image/jpeg", size=None, **extra):
    item = {
        "filename": filename,
        "mimeType": mime_type,
        "size": len(data) if size is None else size,
        "content": b64(data),
    }
    item.update(extra)
    return item


SPEC_CREATE_CLAIM = {
    "channel": "WHATSAPP",
    "channelReferenceId": "WA-2024-001-XYZ",
    "serviceType": "CLAIM",
    "customer": {
        "name": "John Doe",
        "email": "john.doe@email.com",
        "phone": "+6281234567890",
        "identifier": "CIF123456",
        "branchCode": "001",
        "department": "Retail Banking",
        "preferredLanguage": "id",
    },
    "ticket": {
        "title": "ATM Card Claim Request",
        "description": "Customer's ATM card was retained by ATM machine at Mall location",
        "priority": "HIGH",
        "category": "SERVICE_REQUEST",
        "metadata": {
            "claimType": "ATM_CARD_RETAINED",
            "claimAmount": 500000,
            "claimCurrency": "IDR",
            "claimDate": "2024-01-15T10:30:00Z",
            "claimReason": "Card retained by ATM",
            "atmId": "ATM001",
            "transactionId": "TRX123456789",
            "referenceNumber": "REF-2024-001",
            "customFields": {"retentionTime": "10:30 AM", "witnessPresent": "Yes"},
        },
    },
    "attachments": [attachment(description="ATM transaction receipt")],
    "integration": {
        "webhookUrl": "https://yourservice.com/webhook/ticket-updates",
        "apiVersion": "1.0",
        "partnerId": "PARTNER001",
        "requestId": "REQ-2024-001-UNIQUE",
    },
}


def create_body(**overrides) -> dict:
    """The spec's create example (a deep copy), with top-level keys replaced."""
    body = copy.deepcopy(SPEC_CREATE_CLAIM)
    body.update(overrides)
    return body


def minimal_body(service_type: str = "INQUIRY", **overrides) -> dict:
    body = {
        "channel": "EMAIL",
        "serviceType": service_type,
        "customer": {"name": "Siti Rahma", "email": "siti@example.com"},
        "ticket": {"title": "Question", "description": "How do I activate my card?"},
    }
    body.update(overrides)
    return body
