"""One log line per request, on the `servicedesk.requests` logger:

    {"event": "request", "request_id": "...", "method": "POST",
     "route": "/api/omnichannel/tickets", "status": 201, "duration_ms": 41.2,
     "partner": "PARTNER001", "api_key_id": 7, "client_address": "203.0.113.9",
     "user_agent": "...", "query_params": ["channelReferenceId"], ...}

The request id is the caller's `X-Request-ID` when it is a sane token, else a new one; it
is sent back in the answer's `X-Request-ID` and bound to every line logged while the
request runs. Personal data stays out: the route rather than the path, the names of the
query parameters rather than their values (the batch endpoint takes customers' reference
ids), the partner and the key's id rather than the key, and no body or other header.

Our own middleware on structlog rather than django-structlog: that package logs the raw
path with its query string, two lines per request, and the client address by its own
reading of X-Forwarded-For rather than TRUSTED_PROXY_COUNT's."""

import re
import time
import uuid
from urllib.parse import unquote_plus

import structlog
from django.http import HttpRequest

from apikeys.models import ApiKey
from apikeys.permissions import client_address
from config.routes import route_of

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_SANE_PARAMETER_NAME = re.compile(r"[A-Za-z0-9._\[\]-]{1,64}")
_OTHER_PARAMETER = "(other)"  # a name that is not a plain identifier could be data itself
_MAX_PARAMETER_NAMES = 20
_MAX_USER_AGENT = 256

logger = structlog.get_logger("servicedesk.requests")


def request_id_from(header: str | None) -> str:
    if header is not None and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def query_parameter_names(query_string: str) -> list[str]:
    """The distinct parameter names, parsed here rather than through request.GET, which
    raises past DATA_UPLOAD_MAX_NUMBER_FIELDS: logging must never fail a request."""
    names = set()
    for part in query_string.split("&"):
        if not part:
            continue
        name = unquote_plus(part.split("=", 1)[0])
        names.add(name if _SANE_PARAMETER_NAME.fullmatch(name) else _OTHER_PARAMETER)
        if len(names) >= _MAX_PARAMETER_NAMES:
            break
    return sorted(names)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            # A streamed answer (an attachment download) is timed until its first byte.
            logger.info("request", **self._fields(request, response.status_code, started))
            return response
        finally:
            # Django's own warning for a 4xx comes after this and finds the id on the
            # request (config/logs.py); nothing of this request leaks into the next one
            # that this thread serves.
            structlog.contextvars.clear_contextvars()

    def _fields(self, request: HttpRequest, status: int, started: float) -> dict:
        fields = {
            "method": request.method[:16],
            "route": route_of(request),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "client_address": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:_MAX_USER_AGENT],
        }
        names = query_parameter_names(request.META.get("QUERY_STRING", ""))
        if names:
            fields["query_params"] = names
        # DRF copies the authenticated key onto the Django request as `auth`; the partner
        # came with it (select_related), so this costs no query.
        api_key = getattr(request, "auth", None)
        if isinstance(api_key, ApiKey):
            fields["partner"] = api_key.partner.code
            fields["api_key_id"] = api_key.pk
        return fields
