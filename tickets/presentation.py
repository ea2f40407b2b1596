"""How the agent console shows values: masked contact details, Rupiah amounts, SLA text.
Pure: values in, text out."""

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency

# Metadata keys that hold money, and the key that names their currency.
AMOUNT_KEYS = {"claimAmount": "claimCurrency", "disputeAmount": "disputeCurrency", "amount": "currency"}


def mask_email(email: str) -> str:
    """`john.doe@email.com` → `jo******@email.com`: enough to recognise, not to use."""
    if "@" not in email:
        return mask_text(email)
    local, _, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"


def mask_phone(phone: str) -> str:
    """`+6281234567890` → `+62812******90`: the operator prefix and the last two digits."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return f"{phone[:6]}{'*' * (len(phone) - 8)}{phone[-2:]}"


def mask_text(text: str) -> str:
    if len(text) <= 4:
        return "*" * len(text)
    return f"{text[:2]}{'*' * (len(text) - 4)}{text[-2:]}"


def rupiah(amount) -> str:
    """An amount in Indonesian notation (Babel's id_ID): `Rp1.500.000`."""
    return format_currency(Decimal(str(amount)), "IDR", locale="id_ID")


def metadata_rows(metadata: dict) -> list[tuple[str, str]]:
    """The ticket's metadata as (label, text) rows; money in its currency, IDR as Rupiah."""
    rows = []
    for key, value in metadata.items():
        if key in AMOUNT_KEYS and value is not None:
            currency = str(metadata.get(AMOUNT_KEYS[key]) or "IDR").upper()
            try:
                text = rupiah(value) if currency == "IDR" else f"{currency} {Decimal(str(value)):,}"
            except (InvalidOperation, ValueError):
                text = str(value)
        elif isinstance(value, dict):
            text = ", ".join(f"{inner}: {inner_value}" for inner, inner_value in value.items())
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        rows.append((key, text))
    return rows


def duration(seconds: int) -> str:
    """`3h 5m`, `2d 4h`, `12m`: how far a deadline is."""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
