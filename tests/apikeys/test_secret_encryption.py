"""Partners' webhook secrets at rest: encrypted with the configured keys, readable back
to sign with, re-encrypted on key rotation, and never in the SQL or the logs."""

import importlib
import io
import logging
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from apikeys import secret_box
from apikeys.models import Partner
from apikeys.services import webhook_secret_rotate
from tests.factories import PartnerFactory
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver
from webhooks.delivery import attempt_delivery
from webhooks.models import Delivery, DeliveryStatus

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def stored(partner: Partner, column: str = "webhook_secret") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM apikeys_partner WHERE id = %s", [partner.pk])
        return cursor.fetchone()[0]


def test_the_column_holds_a_fernet_token_that_decrypts_to_the_secret(db):
    partner = PartnerFactory(webhook_secret=SECRET)

    token = stored(partner)

    assert SECRET not in token
    assert token.startswith("gAAAAA")  # Fernet's version byte, base64
    assert secret_box.decrypt(token) == SECRET
    assert Partner.objects.get(pk=partner.pk).webhook_secret == SECRET


def test_the_same_secret_is_stored_as_a_different_token_each_time(db):
    first = PartnerFactory(code="P1", webhook_secret=SECRET)
    second = PartnerFactory(code="P2", webhook_secret=SECRET)

    assert stored(first) != stored(second)


def test_no_secret_is_stored_as_the_empty_string(db):
    partner = PartnerFactory(webhook_secret="")

    assert stored(partner) == ""
    assert Partner.objects.get(pk=partner.pk).webhook_secret == ""


def test_a_rotation_keeps_the_previous_secret_encrypted_too(db):
    partner = PartnerFactory(webhook_secret=SECRET)

    new_secret = webhook_secret_rotate(partner=partner)

    assert SECRET not in stored(partner, "webhook_secret_previous")
    assert new_secret not in stored(partner)
    reloaded = Partner.objects.get(pk=partner.pk)
    assert (reloaded.webhook_secret_previous, reloaded.webhook_secret) == (SECRET, new_secret)


def test_without_configured_keys_the_key_is_derived_from_secret_key_and_its_fallbacks(db, settings):
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = []
    partner = PartnerFactory(webhook_secret=SECRET)
    token = stored(partner)
    assert Fernet(secret_box.derive_key(settings.SECRET_KEY)).decrypt(token.encode()).decode() == SECRET

    # Django's SECRET_KEY rotation: the old key moves to the fallbacks and still reads.
    new_django_key = "a-new-django-secret-key-" + "x" * 40
    with override_settings(SECRET_KEY=new_django_key, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert Partner.objects.get(pk=partner.pk).webhook_secret == SECRET


def test_a_new_key_in_front_reads_old_tokens_and_reencrypt_moves_them_to_it(db, settings):
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = [OLD_KEY]
    partner = PartnerFactory(webhook_secret=SECRET)
    webhook_secret_rotate(partner=partner)
    rotated = Partner.objects.get(pk=partner.pk)

    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert Partner.objects.get(pk=partner.pk).webhook_secret == rotated.webhook_secret
    out = io.StringIO()
    call_command("reencrypt_webhook_secrets", stdout=out)

    assert out.getvalue() == "Re-encrypted the webhook secrets of 1 partner(s) under the newest key.\n"
    for column, secret in (("webhook_secret", rotated.webhook_secret), ("webhook_secret_previous", SECRET)):
        assert Fernet(NEW_KEY.encode()).decrypt(stored(partner, column).encode()).decode() == secret
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = [NEW_KEY]
    assert Partner.objects.get(pk=partner.pk).webhook_secret == rotated.webhook_secret


def test_a_first_configured_key_reads_tokens_under_the_derived_key_until_reencrypted(db, settings):
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = []
    partner = PartnerFactory(webhook_secret=SECRET)
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = [NEW_KEY]

    assert Partner.objects.get(pk=partner.pk).webhook_secret == SECRET
    call_command("reencrypt_webhook_secrets", stdout=io.StringIO())
    assert Fernet(NEW_KEY.encode()).decrypt(stored(partner).encode()).decode() == SECRET


def test_a_token_no_configured_key_opens_is_refused_with_a_clear_error(db, settings):
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = [OLD_KEY]
    partner = PartnerFactory(webhook_secret=SECRET)
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(secret_box.UnreadableSecret, match="cannot be decrypted"):
        Partner.objects.get(pk=partner.pk)


def test_a_malformed_key_setting_is_a_configuration_error(db, settings):
    settings.WEBHOOK_SECRET_ENCRYPTION_KEYS = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured, match="must hold Fernet keys"):
        secret_box.encrypt(SECRET)


def test_new_key_prints_a_usable_key_and_changes_nothing(db):
    partner = PartnerFactory(webhook_secret=SECRET)
    before = stored(partner)
    out = io.StringIO()

    call_command("reencrypt_webhook_secrets", "--new-key", stdout=out)

    Fernet(out.getvalue().strip().encode())  # raises if it is not a Fernet key
    assert stored(partner) == before


def test_the_migration_encrypts_secrets_stored_in_the_clear_and_back(db):
    migration = importlib.import_module("apikeys.migrations.0004_encrypt_webhook_secrets")
    partner = PartnerFactory(webhook_secret="")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apikeys_partner SET webhook_secret = %s, webhook_secret_previous = %s WHERE id = %s",
            [SECRET, "", partner.pk],
        )

    # The migration uses the schema editor only for its connection.
    editor = SimpleNamespace(connection=connection)

    migration.encrypt_stored_secrets(None, editor)
    assert secret_box.decrypt(stored(partner)) == SECRET
    assert stored(partner, "webhook_secret_previous") == ""

    migration.decrypt_stored_secrets(None, editor)
    assert stored(partner) == SECRET


def test_signing_a_delivery_puts_the_secret_in_no_sql_and_no_log(api_client, reference_data, partner, caplog):
    caplog.set_level(logging.DEBUG)
    with Receiver() as receiver, CaptureQueriesContext(connection) as queries:
        body = create_body()
        body["integration"] = {**body["integration"], "webhookUrl": receiver.url}
        assert api_client.post("/api/omnichannel/tickets", body, format="json").status_code == 201
        outcome = attempt_delivery(Delivery.objects.get().pk)
        assert outcome.status == DeliveryStatus.DELIVERED
        assert len(receiver.received) == 1

    secret = Partner.objects.get(pk=partner.pk).webhook_secret
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "apikeys_partner" in sql  # the partner row, with its token, was read
    assert secret.removeprefix("whsec_") not in sql
    assert secret.removeprefix("whsec_") not in logged
