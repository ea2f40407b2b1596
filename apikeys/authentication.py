"""DRF authentication from the `X-API-Key` header. The key is read from that header only:
a key in a query string ends up in proxies' and servers' access logs."""

from dataclasses import dataclass

from django.utils import timezone
from rest_framework import authentication, exceptions

from apikeys import keys
from apikeys.models import ApiKey, Partner
from apikeys.services import api_key_touch

HEADER = "HTTP_X_API_KEY"


@dataclass(frozen=True)
class PartnerUser:
    """What request.user is for an API call: the partner behind the key."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    @property
    def partner(self) -> Partner:
        return self.api_key.partner

    def __str__(self) -> str:
        return f"partner {self.partner.code} key {self.api_key.prefix}"


class InvalidApiKey(exceptions.AuthenticationFailed):
    default_detail = "Invalid API key."
    default_code = "invalid_api_key"


class RevokedApiKey(exceptions.AuthenticationFailed):
    default_detail = "This API key has been revoked."
    default_code = "api_key_revoked"


class ExpiredApiKey(exceptions.AuthenticationFailed):
    default_detail = "This API key has expired."
    default_code = "api_key_expired"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw_key = request.META.get(HEADER)
        if raw_key is None:
            return None  # the permission check answers 401 "credentials were not provided"
        prefix = keys.parse_prefix(raw_key.strip())
        if prefix is None:
            raise InvalidApiKey()
        api_key = ApiKey.objects.select_related("partner").filter(prefix=prefix).first()
        if api_key is None or not keys.key_matches(raw_key.strip(), api_key.key_hash):
            raise InvalidApiKey()
        if api_key.is_revoked or not api_key.partner.is_active:
            raise RevokedApiKey()
        if api_key.is_expired(timezone.now()):
            raise ExpiredApiKey()
        api_key_touch(api_key=api_key)
        return PartnerUser(api_key=api_key), api_key

    def authenticate_header(self, request) -> str:
        # Having a challenge makes DRF answer 401 rather than 403 to a missing key.
        return 'ApiKey header="X-API-Key"'
