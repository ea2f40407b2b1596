"""What an attempt's outcome means and when to try again. Pure: values in, values out.

- 2xx: delivered.
- No answer (connect or read error, DNS failure), 408, 429 and 5xx: tried again later.
- Anything else (other 4xx, 410 included, and 3xx: redirects are never followed): final.

The wait after the n-th failed attempt is ``base * 2**(n-1)`` seconds, at most ``cap``,
with +/-20% jitter so that a partner coming back up is not hit by every retry at once.
``Retry-After`` on a 429 or a 503 is honoured (seconds or an HTTP date), up to ``cap``.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum

JITTER = 0.2
RETRYABLE_STATUS_CODES = frozenset({408, 429})
RETRY_AFTER_STATUS_CODES = frozenset({429, 503})


class Verdict(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FINAL = "final"


def classify(status_code: int | None) -> Verdict:
    """The verdict on an attempt; `None` means no HTTP answer was received."""
    if status_code is None:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code >= 500 or status_code in RETRYABLE_STATUS_CODES:
        return Verdict.RETRY
    return Verdict.FINAL


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None
    when absent or unreadable. A date in the past means no wait."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT; the asctime form just doesn't say so
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    cap_seconds: float

    def backoff(self, failed_attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the `failed_attempts`-th failure (1 for the first)."""
        exponent = min(failed_attempts - 1, 32)  # 2**32 * base is past any cap
        delay = min(self.base_seconds * 2**exponent, self.cap_seconds)
        return delay * rng.uniform(1 - JITTER, 1 + JITTER)

    def next_attempt_at(
        self,
        *,
        now: datetime,
        failed_attempts: int,
        status_code: int | None,
        retry_after: str | None,
        rng: random.Random,
    ) -> datetime:
        delay = self.backoff(failed_attempts, rng)
        if status_code in RETRY_AFTER_STATUS_CODES:
            asked = parse_retry_after(retry_after, now=now)
            if asked is not None:
                delay = min(max(delay, asked), self.cap_seconds)
        return now + timedelta(seconds=delay)
