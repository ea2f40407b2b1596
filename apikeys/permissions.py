from django.conf import settings
from rest_framework import exceptions, permissions

from apikeys.authentication import PartnerUser
from apikeys.services import address_allowed


def client_address(request) -> str:
    """The caller's address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT says."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class AddressNotAllowed(exceptions.PermissionDenied):
    default_detail = "This API key may not be used from this address."
    default_code = "address_not_allowed"


class MissingPermission(exceptions.PermissionDenied):
    default_code = "permission_denied"


class HasApiKey(permissions.BasePermission):
    """An authenticated API key called from an allowed address, holding the view's
    `required_permission` (a view without one needs only a valid key)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not isinstance(user, PartnerUser):
            raise exceptions.NotAuthenticated("An API key is required in the X-API-Key header.")
        if not address_allowed(api_key=user.api_key, address=client_address(request)):
            raise AddressNotAllowed()
        required = getattr(view, "required_permissions", {}).get(request.method)
        if required and not user.api_key.has_permission(required):
            raise MissingPermission(f"This API key lacks the {required} permission.")
        return True
