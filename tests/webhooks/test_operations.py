"""What operators do with webhooks: the redeliver_webhooks and rotate_webhook_secret
commands, the deliveries admin (read-only, with its redeliver action) and the partners
admin (endpoint health, secret rotation, the webhook URL check)."""

import base64
import re
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.models import Partner
from tests.factories import ApiKeyFactory, PartnerFactory, UserFactory
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver, Reply
from tickets.models import Ticket
from webhooks.delivery import attempt_delivery
from webhooks.models import Attempt, Delivery, DeliveryStatus

URL = "/api/omnichannel/tickets"
DELIVERIES_ADMIN = "/admin/webhooks/delivery/"
PARTNERS_ADMIN = "/admin/apikeys/partner/"
RETRY_WINDOW = timedelta(hours=24)


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The delivery ids handed to the broker. Recorded rather than published: the attempt
    itself is exercised with attempt_delivery, and a test must not feed a shared queue."""
    sent: list[int] = []
    monkeypatch.setattr("webhooks.services.send_task", lambda delivery_id, **kwargs: sent.append(delivery_id))
    return sent


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def client_for(partner: Partner) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=ApiKeyFactory(partner=partner).raw_key)
    return client


def create_delivery(client: APIClient, partner: Partner, webhook_url: str, reference: str) -> Delivery:
    body = create_body(channelReferenceId=reference)
    body["integration"] = {
        **body["integration"],
        "webhookUrl": webhook_url,
        "partnerId": partner.code,
        "requestId": f"REQ-{reference}",
    }
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return Delivery.objects.get(ticket=Ticket.objects.get(number=response.json()["ticketNumber"]))


def attempted(delivery: Delivery, receiver: Receiver, reply: Reply) -> Delivery:
    receiver.reply_with(reply)
    attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def row(delivery: Delivery) -> dict:
    return Delivery.objects.filter(pk=delivery.pk).values().get()


def all_rows() -> list[dict]:
    return list(Delivery.objects.order_by("pk").values())


def listed(delivery: Delivery) -> str:
    """The line redeliver_webhooks prints for a delivery."""
    return (
        f"{delivery.event_id} TICKET_CREATED {delivery.ticket.number} #1 to {delivery.partner.code}: "
        f"{delivery.last_status_code or '-'} {delivery.last_error}".rstrip()
    )


@dataclass(frozen=True)
class Deliveries:
    recent_failed: Delivery  # PARTNER001
    old_failed: Delivery  # PARTNER001, raised and failed 3 h ago
    delivered: Delivery  # PARTNER001
    other_partner_failed: Delivery  # PARTNER002


@pytest.fixture
def deliveries(reference_data, partner, receiver) -> Deliveries:
    other = PartnerFactory(code="PARTNER002", name="Email Bridge")
    mine, theirs = client_for(partner), client_for(other)
    recent_failed = create_delivery(mine, partner, receiver.url, "WA-OPS-1")
    old_failed = create_delivery(mine, partner, receiver.url, "WA-OPS-2")
    delivered = create_delivery(mine, partner, receiver.url, "WA-OPS-3")
    other_partner_failed = create_delivery(theirs, other, receiver.url, "WA-OPS-4")

    for delivery, reply in [
        (recent_failed, Reply(410, b"gone")),
        (old_failed, Reply(404, b"no such hook")),
        (delivered, Reply(200, b"ok")),
        (other_partner_failed, Reply(422, b"unknown event")),
    ]:
        attempted(delivery, receiver, reply)
    three_hours_ago = timezone.now() - timedelta(hours=3)
    Delivery.objects.filter(pk=old_failed.pk).update(created_at=three_hours_ago)
    Attempt.objects.filter(delivery=old_failed).update(started_at=three_hours_ago)

    found = Deliveries(
        *(Delivery.objects.get(pk=d.pk) for d in (recent_failed, old_failed, delivered, other_partner_failed))
    )
    assert [found.recent_failed.status, found.old_failed.status, found.delivered.status] == [
        "FAILED",
        "FAILED",
        "DELIVERED",
    ]
    assert found.other_partner_failed.status == "FAILED"
    return found


# ---------------------------------------------------------------- redeliver_webhooks


def test_redeliver_failed_since_queues_only_the_recent_failed_ones_again(
    deliveries, queued, django_capture_on_commit_callbacks
):
    recent, other = deliveries.recent_failed, deliveries.other_partner_failed
    before = {d.pk: row(d) for d in (recent, other)}
    untouched = {d.pk: row(d) for d in (deliveries.old_failed, deliveries.delivered)}

    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        out = run("redeliver_webhooks", "--status", "failed", "--since", "2h")
    end = timezone.now()

    assert out.splitlines() == [listed(recent), listed(other), "2 deliveries queued again."]
    for delivery in (recent, other):
        after = row(delivery)
        assert after["status"] == DeliveryStatus.PENDING
        assert start <= after["next_attempt_at"] <= end
        assert start + RETRY_WINDOW <= after["retry_until"] <= end + RETRY_WINDOW
        assert after["leased_until"] is None
        unchanged = {k: v for k, v in after.items() if k not in {"status", "next_attempt_at", "retry_until"}}
        assert unchanged == {
            k: v for k, v in before[delivery.pk].items() if k not in {"status", "next_attempt_at", "retry_until"}
        }
        assert (after["attempt_count"], after["event_id"], after["body"]) == (1, delivery.event_id, delivery.body)
    assert {d.pk: row(d) for d in (deliveries.old_failed, deliveries.delivered)} == untouched
    assert sorted(queued) == sorted([recent.pk, other.pk])


def test_redeliver_since_counts_from_the_failure_not_from_the_event(
    deliveries, queued, django_capture_on_commit_callbacks
):
    # Raised 26 hours ago, its retries ran out within the last two hours: it is taken.
    # Raised just now but last tried 3 hours ago (old_failed, as if its clock said so): not.
    Delivery.objects.filter(pk=deliveries.recent_failed.pk).update(created_at=timezone.now() - timedelta(hours=26))
    Delivery.objects.filter(pk=deliveries.old_failed.pk).update(created_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        out = run("redeliver_webhooks", "--status", "failed", "--since", "2h", "--partner", "PARTNER001")

    assert out.splitlines() == [listed(deliveries.recent_failed), "1 deliveries queued again."]
    assert queued == [deliveries.recent_failed.pk]


def test_redeliver_delivered_since_counts_from_the_delivery(deliveries, queued, django_capture_on_commit_callbacks):
    Delivery.objects.filter(pk=deliveries.delivered.pk).update(delivered_at=timezone.now() - timedelta(hours=3))

    out = run("redeliver_webhooks", "--status", "delivered", "--since", "2h", "--dry-run")

    assert out.splitlines() == ["0 deliveries would be sent again (dry run: nothing sent)."]


def test_redeliver_for_one_partner_leaves_the_other_partners_alone(
    deliveries, queued, django_capture_on_commit_callbacks
):
    others = [deliveries.recent_failed, deliveries.old_failed, deliveries.delivered]
    before = [row(d) for d in others]

    with django_capture_on_commit_callbacks(execute=True):
        out = run("redeliver_webhooks", "--since", "2h", "--partner", "PARTNER002")

    assert out.splitlines() == [listed(deliveries.other_partner_failed), "1 deliveries queued again."]
    assert row(deliveries.other_partner_failed)["status"] == DeliveryStatus.PENDING
    assert [row(d) for d in others] == before
    assert queued == [deliveries.other_partner_failed.pk]


def test_redeliver_dry_run_lists_and_changes_nothing(deliveries, queued, django_capture_on_commit_callbacks):
    before = all_rows()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = run("redeliver_webhooks", "--status", "failed", "--since", "2h", "--dry-run")

    assert out.splitlines() == [
        listed(deliveries.recent_failed),
        listed(deliveries.other_partner_failed),
        "2 deliveries would be sent again (dry run: nothing sent).",
    ]
    assert all_rows() == before
    assert callbacks == []
    assert queued == []


@pytest.mark.parametrize("since", ["2 hours", "h", "-1h"])
def test_redeliver_refuses_a_duration_it_cannot_read(deliveries, queued, since):
    before = all_rows()

    with pytest.raises(CommandError) as refused:
        # "--since=VALUE": with a space argparse would read "-1h" as an option of its own.
        run("redeliver_webhooks", f"--since={since}")

    assert str(refused.value) == f"--since takes a duration such as 90s, 30m, 2h or 7d, not {since!r}."
    assert all_rows() == before
    assert queued == []


def test_redeliver_delivered_sends_it_again_with_the_same_webhook_id_and_the_next_attempt_number(
    deliveries, receiver, queued, django_capture_on_commit_callbacks
):
    delivered = deliveries.delivered
    (first,) = [r for r in receiver.received if r.headers["webhook-id"] == delivered.event_id]
    failed_before = [row(d) for d in (deliveries.recent_failed, deliveries.other_partner_failed)]

    with django_capture_on_commit_callbacks(execute=True):
        out = run("redeliver_webhooks", "--status", "delivered", "--since", "2h")

    assert out.splitlines() == [listed(delivered), "1 deliveries queued again."]
    assert queued == [delivered.pk]
    assert [row(d) for d in (deliveries.recent_failed, deliveries.other_partner_failed)] == failed_before
    received_before = len(receiver.received)

    outcome = attempt_delivery(delivered.pk)

    assert outcome.status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == received_before + 1
    again = receiver.received[-1]
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == delivered.event_id
    assert again.body == first.body == delivered.body.encode()
    attempts = list(Attempt.objects.filter(delivery=delivered).values_list("number", "status_code"))
    assert attempts == [(1, 200), (2, 200)]
    delivered.refresh_from_db()
    assert (delivered.status, delivered.attempt_count) == ("DELIVERED", 2)


def test_a_redelivered_failed_delivery_arrives_with_its_old_webhook_id(
    deliveries, receiver, queued, django_capture_on_commit_callbacks
):
    failed = deliveries.recent_failed
    with django_capture_on_commit_callbacks(execute=True):
        run("redeliver_webhooks", "--since", "2h", "--partner", "PARTNER001")

    outcome = attempt_delivery(failed.pk)

    assert outcome.status == DeliveryStatus.DELIVERED
    sent = [r for r in receiver.received if r.headers["webhook-id"] == failed.event_id]
    assert len(sent) == 2
    assert sent[0].body == sent[1].body
    attempts = list(Attempt.objects.filter(delivery=failed).values_list("number", "status_code", "response_excerpt"))
    assert attempts == [(1, 410, "gone"), (2, 200, "ok")]


# ---------------------------------------------------------------- rotate_webhook_secret


def test_rotate_webhook_secret_prints_the_new_secret_once_and_keeps_the_old_one_for_a_day(partner):
    old_secret = partner.webhook_secret

    start = timezone.now()
    out = run("rotate_webhook_secret", "PARTNER001")
    end = timezone.now()

    partner.refresh_from_db()
    new_secret = partner.webhook_secret
    assert new_secret != old_secret
    assert new_secret.startswith("whsec_")
    assert len(base64.b64decode(new_secret.removeprefix("whsec_"), validate=True)) == 32
    until = partner.webhook_secret_previous_until
    assert out.splitlines() == [
        "New webhook secret for PARTNER001 (shown once):",
        f"  {new_secret}",
        f"The old secret keeps signing until {until:%Y-%m-%d %H:%M %Z}.",
    ]
    assert out.count(new_secret) == 1
    assert old_secret not in out
    assert partner.webhook_secret_previous == old_secret
    assert start + timedelta(hours=24) <= until <= end + timedelta(hours=24)
    now = timezone.now()
    assert partner.webhook_signing_secrets(now) == [old_secret, new_secret]
    assert partner.webhook_signing_secrets(now + timedelta(hours=25)) == [new_secret]


def test_rotate_webhook_secret_without_overlap_drops_the_old_one_at_once(partner):
    out = run("rotate_webhook_secret", "PARTNER001", "--overlap-hours", "0")

    partner.refresh_from_db()
    new_secret = partner.webhook_secret
    assert out.splitlines() == [
        "New webhook secret for PARTNER001 (shown once):",
        f"  {new_secret}",
        "The old secret no longer signs.",
    ]
    assert (partner.webhook_secret_previous, partner.webhook_secret_previous_until) == ("", None)
    assert partner.webhook_signing_secrets(timezone.now()) == [new_secret]


def test_rotate_webhook_secret_for_an_unknown_partner_is_an_error(partner):
    with pytest.raises(CommandError) as refused:
        run("rotate_webhook_secret", "PARTNER999")

    assert str(refused.value) == "No partner with code 'PARTNER999'."


def test_rotate_webhook_secret_refuses_a_negative_overlap_and_keeps_the_secret(partner):
    before = Partner.objects.filter(pk=partner.pk).values().get()

    with pytest.raises(CommandError) as refused:
        run("rotate_webhook_secret", "PARTNER001", "--overlap-hours", "-1")

    assert str(refused.value) == "The overlap cannot be negative."
    assert Partner.objects.filter(pk=partner.pk).values().get() == before


# ---------------------------------------------------------------- deliveries admin


def test_the_deliveries_list_shows_each_event(admin_client, deliveries):
    response = admin_client.get(DELIVERIES_ADMIN)

    assert response.status_code == 200
    page = response.content.decode()
    for delivery in (deliveries.recent_failed, deliveries.old_failed, deliveries.delivered):
        assert delivery.event_id in page
    # Only redelivery is offered: no delete_selected for an audit record.
    assert [name for name, _ in response.context["action_form"].fields["action"].choices] == [
        "",
        "redeliver_selected",
    ]


def test_a_delivery_page_shows_its_attempts_and_has_no_editable_field(admin_client, reference_data, partner, receiver):
    delivery = create_delivery(client_for(partner), partner, receiver.url, "WA-OPS-ADMIN")
    attempted(delivery, receiver, Reply(503, b"maintenance window"))
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    attempted(delivery, receiver, Reply(422, b"unknown ticket <b>"))

    response = admin_client.get(f"{DELIVERIES_ADMIN}{delivery.pk}/change/")

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    page = response.content.decode()
    assert "maintenance window" in page
    assert "unknown ticket &lt;b&gt;" in page
    (inline,) = response.context["inline_admin_formsets"]
    shown = [(form.original.number, form.original.status_code) for form in inline]
    assert shown == [(1, 503), (2, 422)]
    assert 'name="status"' not in page
    assert 'name="url"' not in page


def test_posting_a_change_to_a_delivery_alters_nothing(admin_client, deliveries):
    delivery = deliveries.recent_failed
    before = row(delivery)

    response = admin_client.post(
        f"{DELIVERIES_ADMIN}{delivery.pk}/change/",
        {
            "status": "DELIVERED",
            "url": "https://attacker.example/hook",
            "body": "{}",
            "attempt_count": "0",
            "attempts-TOTAL_FORMS": "1",
            "attempts-INITIAL_FORMS": "1",
            "attempts-MIN_NUM_FORMS": "0",
            "attempts-MAX_NUM_FORMS": "1000",
            "_save": "Save",
        },
    )

    # The admin answers as if it saved, but there is no field to save.
    assert (response.status_code, response["Location"]) == (302, DELIVERIES_ADMIN)
    assert row(delivery) == before
    assert list(Attempt.objects.filter(delivery=delivery).values_list("number", "status_code")) == [(1, 410)]


def test_the_redeliver_action_queues_failed_ones_and_leaves_a_pending_one_in_place(
    admin_client, deliveries, receiver, queued, django_capture_on_commit_callbacks
):
    pending = create_delivery(
        client_for(deliveries.recent_failed.partner), deliveries.recent_failed.partner, receiver.url, "WA-OPS-5"
    )
    pending_before = row(pending)
    failed = [deliveries.recent_failed, deliveries.old_failed]

    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            DELIVERIES_ADMIN,
            {"action": "redeliver_selected", "_selected_action": [d.pk for d in (*failed, pending)]},
            follow=True,
        )
    end = timezone.now()

    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "2 deliveries queued again. 1 already pending, left in their place."
    ]
    for delivery in failed:
        after = row(delivery)
        assert (after["status"], after["attempt_count"], after["event_id"]) == ("PENDING", 1, delivery.event_id)
        assert start <= after["next_attempt_at"] <= end
        assert start + RETRY_WINDOW <= after["retry_until"] <= end + RETRY_WINDOW
    assert row(pending) == pending_before
    assert sorted(queued) == sorted(d.pk for d in failed)


def test_deliveries_cannot_be_added_or_deleted_in_the_admin(admin_client, deliveries):
    delivery = deliveries.delivered

    assert admin_client.get(f"{DELIVERIES_ADMIN}add/").status_code == 403
    assert admin_client.get(f"{DELIVERIES_ADMIN}{delivery.pk}/delete/").status_code == 403
    assert admin_client.post(f"{DELIVERIES_ADMIN}{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_a_staff_user_without_delivery_permissions_is_refused(deliveries):
    client = Client()
    client.force_login(UserFactory(username="agent-no-perms"))

    assert client.get(DELIVERIES_ADMIN).status_code == 403
    assert client.get(f"{DELIVERIES_ADMIN}{deliveries.recent_failed.pk}/change/").status_code == 403


def test_a_staff_user_who_may_only_view_deliveries_cannot_redeliver(
    deliveries, queued, django_capture_on_commit_callbacks
):
    user = UserFactory(username="auditor")
    user.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client = Client()
    client.force_login(user)
    before = all_rows()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            DELIVERIES_ADMIN, {"action": "redeliver_selected", "_selected_action": [deliveries.recent_failed.pk]}
        )

    assert response.status_code == 200
    assert all_rows() == before
    assert queued == []


# ---------------------------------------------------------------- partners admin


def endpoint_cells(page: str) -> list[str]:
    return re.findall(r'<td class="field-webhook_endpoint">(.*?)</td>', page)


def test_the_partners_list_shows_the_health_of_each_webhook_endpoint(admin_client, db):
    now = timezone.now()
    PartnerFactory(code="PARTNER001", webhook_failing_since=None)
    erring = PartnerFactory(code="PARTNER002", webhook_failing_since=now - timedelta(hours=1))
    failing = PartnerFactory(code="PARTNER003", webhook_failing_since=now - timedelta(hours=25))

    response = admin_client.get(PARTNERS_ADMIN)

    assert response.status_code == 200
    assert endpoint_cells(response.content.decode()) == [
        "ok",
        f"errors since {timezone.localtime(erring.webhook_failing_since):%Y-%m-%d %H:%M}",
        f"failing since {timezone.localtime(failing.webhook_failing_since):%Y-%m-%d %H:%M}",
    ]


def test_the_rotate_action_changes_the_secret_and_shows_it_once(admin_client, partner):
    old_secret = partner.webhook_secret

    response = admin_client.post(
        PARTNERS_ADMIN, {"action": "rotate_webhook_secret", "_selected_action": [partner.pk]}, follow=True
    )

    partner.refresh_from_db()
    new_secret = partner.webhook_secret
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    assert partner.webhook_secret_previous == old_secret
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"New webhook secret for PARTNER001 (shown once): {new_secret}"
    ]
    assert response.content.decode().count(new_secret) == 1
    assert new_secret not in admin_client.get(PARTNERS_ADMIN).content.decode()
    assert new_secret not in admin_client.get(f"{PARTNERS_ADMIN}{partner.pk}/change/").content.decode()


def test_a_staff_user_who_may_only_view_partners_cannot_rotate_their_secret(partner):
    """An action without `permissions` is offered to anyone who may open the list."""
    user = UserFactory(username="auditor")
    user.user_permissions.add(Permission.objects.get(codename="view_partner"))
    client = Client()
    client.force_login(user)
    before = Partner.objects.filter(pk=partner.pk).values().get()

    response = client.post(
        PARTNERS_ADMIN, {"action": "rotate_webhook_secret", "_selected_action": [partner.pk]}, follow=True
    )

    assert response.status_code == 200
    assert Partner.objects.filter(pk=partner.pk).values().get() == before
    assert [str(m) for m in get_messages(response.wsgi_request)] == []


def save_partner(admin_client, partner: Partner, webhook_url: str):
    return admin_client.post(
        f"{PARTNERS_ADMIN}{partner.pk}/change/",
        {"code": partner.code, "name": partner.name, "is_active": "on", "webhook_url": webhook_url},
    )


@pytest.mark.parametrize(
    ("webhook_url", "setting", "reason"),
    [
        (
            "https://127.0.0.1/hook",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS",
            "host '127.0.0.1' has address 127.0.0.1, which is loopback",
        ),
        ("http://example.com/hook", "WEBHOOK_ALLOW_HTTP", "scheme 'http' is not allowed, use https"),
    ],
)
def test_the_partner_form_refuses_an_unsafe_webhook_url(admin_client, partner, settings, webhook_url, setting, reason):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_ALLOW_HTTP = True
    setattr(settings, setting, False)

    response = save_partner(admin_client, partner, webhook_url)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "webhook_url": [f"This URL cannot receive webhooks: {reason}."]
    }
    partner.refresh_from_db()
    assert partner.webhook_url == ""


@pytest.mark.parametrize("webhook_url", ["https://127.0.0.1/hook", "http://example.com/hook"])
def test_the_partner_form_accepts_those_urls_where_they_are_allowed(admin_client, partner, settings, webhook_url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_ALLOW_HTTP = True

    response = save_partner(admin_client, partner, webhook_url)

    assert response.status_code == 302
    assert response["Location"] == PARTNERS_ADMIN
    partner.refresh_from_db()
    assert partner.webhook_url == webhook_url
