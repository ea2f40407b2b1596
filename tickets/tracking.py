"""The customer's tracking link: the ticket number and a signature of the ticket, so that
a sequential number alone never opens anyone's ticket. The signature covers the opaque
ticketId too, so a number that is reused (a database restored, a test desk reset) never
matches an old link."""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

_SALT = "tickets.tracking"


def tracking_token(*, number: str, public_id: str) -> str:
    return signing.Signer(salt=_SALT).signature(f"{number}:{public_id}")


def token_is_valid(*, number: str, public_id: str, token: str) -> bool:
    return constant_time_compare(tracking_token(number=number, public_id=public_id), token)


def tracking_url(*, number: str, public_id: str) -> str:
    return f"{settings.SITE_URL}/track/{number}/{tracking_token(number=number, public_id=public_id)}/"
