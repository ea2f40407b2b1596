"""The one place that shapes every error of the partner API into the spec's envelope:
{"success": false, "error": "...", "code": "...", "errors": {"dotted.path": "message"}}.
Nothing else (no stack trace, SQL or secret) ever reaches a partner."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from tickets.errors import DomainError

logger = logging.getLogger("omnichannel.errors")

API_PREFIX = "/api/"


class TicketNotFound(exceptions.NotFound):
    default_detail = "Ticket not found."
    default_code = "not_found"


class PartnerMismatch(exceptions.PermissionDenied):
    default_detail = "integration.partnerId does not match this API key's partner."
    default_code = "partner_mismatch"


def envelope(message: str, *, code: str, errors: dict[str, str] | None = None) -> dict:
    return {"success": False, "error": message, "code": code, "errors": errors or {}}


def flatten_errors(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail as {"customer.email": "message"}; list items by index."""
    flat: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            part = "" if key in ("non_field_errors", "__all__") else str(key)
            flat.update(flatten_errors(value, f"{prefix}.{part}" if prefix and part else prefix or part))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            messages = [str(item) for item in detail if str(item)]
            if messages:
                flat[prefix or "body"] = " ".join(messages)
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "body"] = str(detail)
    return flat


def _first_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    while isinstance(codes, (dict, list)) and codes:
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes if isinstance(codes, str) else "error"


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE wherever it is
        # first read (the idempotency fingerprint, a parser): the same 413 as the parser's.
        return Response(
            envelope(
                f"Request body is larger than {settings.OMNICHANNEL_MAX_BODY_BYTES} bytes.", code="request_too_large"
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(envelope(exc.message, code=exc.code, errors=exc.errors), status=exc.status_code)

    response = drf_exception_handler(exc, context)  # also maps Http404 and PermissionDenied
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        set_rollback()
        return Response(
            envelope("Internal server error.", code="server_error"), status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )

    if isinstance(exc, exceptions.ValidationError):
        response.data = envelope("Validation failed", code="validation_error", errors=flatten_errors(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        response.data = envelope(str(detail), code=_first_code(exc))
    else:
        response.data = envelope("Request failed.", code="error")
    return response


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json_or_default(request, status_code: int, message: str, code: str, default_view, **kwargs):
    if _is_api(request):
        return JsonResponse(envelope(message, code=code), status=status_code)
    return default_view(request, **kwargs)


# Django-level handlers, for what never reaches a DRF view (unknown URLs, errors in
# middleware): JSON envelope under /api/, Django's pages elsewhere.
def handler400(request, exception=None):
    from django.views import defaults

    return _json_or_default(request, 400, "Bad request.", "bad_request", defaults.bad_request, exception=exception)


def handler403(request, exception=None):
    from django.views import defaults

    return _json_or_default(
        request, 403, "Forbidden.", "permission_denied", defaults.permission_denied, exception=exception
    )


def handler404(request, exception=None):
    from django.views import defaults

    return _json_or_default(request, 404, "Not found.", "not_found", defaults.page_not_found, exception=exception)


def handler500(request):
    from django.views import defaults

    return _json_or_default(request, 500, "Internal server error.", "server_error", defaults.server_error)
