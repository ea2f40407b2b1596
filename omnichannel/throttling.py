"""Rate limits per API key and kind of call (create, read, update), counted in the
Django cache: Redis in production, so a limit holds across gunicorn workers and hosts;
in-process memory on the embedded default. Fixed one-minute windows (django-ratelimit)."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage
from prometheus_client import Counter
from rest_framework import exceptions, status

logger = logging.getLogger("omnichannel.throttling")

# Exposed at /metrics (config/metrics.py); summed over gunicorn's workers in multiprocess mode.
REJECTIONS = Counter(
    "servicedesk_rate_limit_rejections",
    "Partner API calls refused with 429 because the key's rate limit was exceeded, by kind of call.",
    ["kind"],
)

KIND_BY_METHOD = {"POST": "create", "GET": "read", "PATCH": "update"}


@dataclass(frozen=True)
class Usage:
    limit: int
    remaining: int
    reset_seconds: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimited(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Rate limit exceeded."
    default_code = "rate_limited"

    def __init__(self, usage: Usage):
        self.usage = usage
        self.wait = usage.reset_seconds  # DRF's handler turns `wait` into Retry-After
        super().__init__(f"Rate limit of {usage.limit} requests per minute exceeded; retry in {usage.reset_seconds} s.")


def limit_for(api_key, kind: str) -> int:
    override = getattr(api_key, f"rate_limit_{kind}")
    return override if override is not None else settings.OMNICHANNEL_RATE_LIMITS[kind]


def consume(*, api_key, method: str, request) -> Usage | None:
    """Count this call against the key's limit; None when the method is not limited or
    the counter store cannot be reached (fail open: an outage of Redis must not take
    the partner API down with it; /readyz reports Redis separately)."""
    kind = KIND_BY_METHOD.get(method)
    if kind is None:
        return None
    limit = limit_for(api_key, kind)
    try:
        usage = get_usage(
            request,
            group=f"omnichannel:{kind}",
            key=lambda group, request: api_key.prefix,
            rate=f"{limit}/m",
            increment=True,
        )
    except Exception:  # any cache backend error: logged, and the call is let through
        logger.warning("Rate-limit counter unavailable; not limiting", exc_info=True)
        return None
    if usage is None or usage["time_left"] < 0:
        return None
    if usage["should_limit"]:
        REJECTIONS.labels(kind).inc()  # the caller answers 429 for exactly this
    return Usage(
        limit=limit,
        remaining=max(limit - usage["count"], 0),
        reset_seconds=max(usage["time_left"], 1),
        exceeded=usage["should_limit"],
    )
