"""The customer's tracking link: the ticket number and a signature of it, so that a
sequential number alone never opens anyone's ticket."""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

_SALT = "tickets.tracking"


def tracking_token(number: str) -> str:
    return signing.Signer(salt=_SALT).signature(number)


def token_is_valid(number: str, token: str) -> bool:
    return constant_time_compare(tracking_token(number), token)


def tracking_url(number: str) -> str:
    return f"{settings.SITE_URL}/track/{number}/{tracking_token(number)}/"
