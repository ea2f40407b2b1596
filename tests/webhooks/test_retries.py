"""webhooks/retries.py on its own: which answers are retried, the back-off schedule with
its jitter pinned and free, the 24-hour window it spans, and Retry-After in both forms.
Pure: no database, no network."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from webhooks import delivery
from webhooks.retries import RetryPolicy, Verdict, classify, parse_retry_after

HOUR = 60 * 60
NOW = datetime(2015, 10, 21, 7, 26, tzinfo=UTC)


class MidpointRandom(random.Random):
    """A random source whose jitter factor is always 1: the schedule without jitter."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


class LowestRandom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


class HighestRandom(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def default_policy() -> RetryPolicy:
    """The policy the delivery task builds from the settings."""
    return delivery.retry_policy()


def attempts_until_giving_up(rng: random.Random) -> list[float]:
    """When each attempt of an event that never gets through starts, in seconds after the
    event, following the rule of webhooks.delivery: after each failure the next attempt is
    scheduled, unless it would start after the end of the retry window."""
    policy = default_policy()
    retry_until = NOW + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    started = [NOW]
    while True:
        next_attempt_at = policy.next_attempt_at(
            now=started[-1], failed_attempts=len(started), status_code=503, retry_after=None, rng=rng
        )
        if next_attempt_at > retry_until:
            return [(at - NOW).total_seconds() for at in started]
        started.append(next_attempt_at)


def test_the_defaults_are_30_seconds_doubling_to_at_most_4_hours_over_24_hours():
    assert settings.WEBHOOK_RETRY_BASE_SECONDS == 30
    assert settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS == 4 * HOUR
    assert settings.WEBHOOK_RETRY_WINDOW_SECONDS == 24 * HOUR
    assert default_policy() == RetryPolicy(base_seconds=30, cap_seconds=4 * HOUR)


@pytest.mark.parametrize("status_code", [200, 201, 202, 204, 299])
def test_a_2xx_is_delivered(status_code):
    assert classify(status_code) is Verdict.DELIVERED


@pytest.mark.parametrize("status_code", [None, 408, 429, 500, 502, 503, 504, 599])
def test_no_answer_a_timeout_a_429_and_a_5xx_are_retried(status_code):
    assert classify(status_code) is Verdict.RETRY


@pytest.mark.parametrize("status_code", [100, 301, 302, 307, 400, 401, 403, 404, 409, 410, 422])
def test_any_other_answer_is_final(status_code):
    assert classify(status_code) is Verdict.FINAL


def test_without_jitter_the_wait_doubles_from_30_seconds_and_stays_at_the_4_hour_cap():
    policy = default_policy()

    waits = [policy.backoff(failed_attempts, MidpointRandom()) for failed_attempts in range(1, 14)]

    assert waits == [
        30, 60, 120, 240, 480, 960, 1920, 3840, 7680,  # 7680 * 2 = 15360 is past the cap
        4 * HOUR, 4 * HOUR, 4 * HOUR, 4 * HOUR,
    ]  # fmt: skip


def test_the_cap_holds_however_many_attempts_have_failed():
    policy = default_policy()

    for failed_attempts in (10, 33, 34, 1_000, 10**9):
        assert policy.backoff(failed_attempts, MidpointRandom()) == 4 * HOUR


@pytest.mark.parametrize("failed_attempts", range(1, 15))
def test_each_wait_is_within_20_percent_of_its_capped_exponential_base(failed_attempts):
    policy = default_policy()
    base = min(30 * 2 ** (failed_attempts - 1), 4 * HOUR)

    # The random source the delivery task really uses, drawn many times.
    waits = [policy.backoff(failed_attempts, delivery._rng) for _ in range(200)]

    assert all(0.8 * base <= wait <= 1.2 * base for wait in waits)
    assert policy.backoff(failed_attempts, LowestRandom()) == pytest.approx(0.8 * base)
    assert policy.backoff(failed_attempts, HighestRandom()) == pytest.approx(1.2 * base)


def test_jitter_makes_two_draws_wait_differently():
    policy = default_policy()

    assert policy.backoff(3, random.Random(1)) != policy.backoff(3, random.Random(2))
    # The task's own source spreads waits too, so that retries after an outage do not
    # all arrive at once.
    assert len({policy.backoff(3, delivery._rng) for _ in range(20)}) > 1


def test_a_seeded_source_gives_the_same_wait_again():
    policy = default_policy()

    assert policy.backoff(5, random.Random(42)) == policy.backoff(5, random.Random(42))


def test_without_jitter_an_event_is_attempted_14_times_over_about_20_hours_then_given_up():
    started = attempts_until_giving_up(MidpointRandom())

    assert started == [
        0, 30, 90, 210, 450, 930, 1890, 3810, 7650, 15330,  # doubling waits, 30 s to 7680 s
        29730, 44130, 58530, 72930,  # then every 4 hours
    ]  # fmt: skip
    # The 15th attempt would start at 87330 s, past the 24-hour window (86400 s).
    assert started[-1] + 4 * HOUR > 24 * HOUR


def test_whatever_the_jitter_an_event_is_given_up_after_13_to_16_attempts_within_the_day():
    always_long = attempts_until_giving_up(HighestRandom())
    always_short = attempts_until_giving_up(LowestRandom())

    assert len(always_long) == 13
    assert always_long[-1] == pytest.approx(70236)  # 19.5 h; a 14th would start at 87516 s
    assert len(always_short) == 16
    assert always_short[-1] == pytest.approx(81384)  # 22.6 h; a 17th would start at 92904 s
    for _ in range(20):
        started = attempts_until_giving_up(delivery._rng)
        assert 13 <= len(started) <= 16
        assert started[-1] <= 24 * HOUR


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 120.0),  # IMF-fixdate, the preferred HTTP-date
        ("Wednesday, 21-Oct-15 07:28:00 GMT", 120.0),  # RFC 850, obsolete but still an HTTP-date
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # a date in the past: no wait
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_in_the_asctime_http_date_form_is_read():
    # RFC 9110 section 5.6.7: a recipient MUST accept all three HTTP-date forms, asctime's
    # included (it carries no zone: it is GMT by definition).
    assert parse_retry_after("Wed Oct 21 07:28:00 2015", now=NOW) == 120.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "Wed, 32 Oct 2015 07:28:00 GMT"])
def test_an_absent_or_unreadable_retry_after_is_ignored(header):
    assert parse_retry_after(header, now=NOW) is None


@pytest.mark.parametrize("status_code", [429, 503])
def test_retry_after_on_429_and_503_sets_the_wait_when_longer_than_the_back_off(status_code):
    policy = default_policy()

    seconds = policy.next_attempt_at(
        now=NOW, failed_attempts=1, status_code=status_code, retry_after="600", rng=MidpointRandom()
    )
    date = policy.next_attempt_at(
        now=NOW,
        failed_attempts=1,
        status_code=status_code,
        retry_after="Wed, 21 Oct 2015 07:36:00 GMT",
        rng=MidpointRandom(),
    )

    assert seconds == date == NOW + timedelta(seconds=600)


def test_retry_after_shorter_than_the_back_off_does_not_shorten_it():
    policy = default_policy()

    at = policy.next_attempt_at(now=NOW, failed_attempts=4, status_code=429, retry_after="5", rng=MidpointRandom())

    assert at == NOW + timedelta(seconds=240)


def test_retry_after_longer_than_the_cap_waits_only_the_cap():
    policy = default_policy()

    at = policy.next_attempt_at(
        now=NOW, failed_attempts=1, status_code=503, retry_after=str(48 * HOUR), rng=MidpointRandom()
    )

    assert at == NOW + timedelta(hours=4)


@pytest.mark.parametrize("status_code", [None, 500, 502, 408])
def test_retry_after_on_other_answers_is_ignored(status_code):
    policy = default_policy()

    at = policy.next_attempt_at(
        now=NOW, failed_attempts=1, status_code=status_code, retry_after="600", rng=MidpointRandom()
    )

    assert at == NOW + timedelta(seconds=30)
