"""Brute force on the admin login: after 5 failed logins for one username from one
address, the next attempt is refused even with the right password, until the cool-off.

django-axes does it (config/settings/base.py); the test shortens its cool-off through
AXES_COOLOFF_TIME."""

import time
from datetime import timedelta

from django.test import Client

from tests.factories import UserFactory

LOGIN_URL = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"
COOL_OFF_SECONDS = 3


def log_in(client: Client, password: str):
    return client.post(LOGIN_URL, {"username": "agent.target", "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failed_logins_lock_the_username_out_from_that_address_until_the_cool_off(db, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=COOL_OFF_SECONDS)
    user = UserFactory(username="agent.target", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    started = time.monotonic()

    failures = [log_in(attacker, f"guess-{n}") for n in range(5)]
    sixth = log_in(attacker, PASSWORD)

    # A typing mistake or four leave the login form as it was: not locked out too early.
    assert [response.status_code for response in failures[:4]] == [200, 200, 200, 200]
    assert sixth.status_code in {403, 429}, sixth.status_code
    assert not logged_in(attacker)
    assert time.monotonic() - started < COOL_OFF_SECONDS, "too slow to test the lockout window"

    # when the cool-off has passed
    time.sleep(COOL_OFF_SECONDS + 0.5)
    after = log_in(attacker, PASSWORD)

    # then the right password works again
    assert after.status_code == 302
    assert after["Location"] == "/admin/"
    assert logged_in(attacker)
