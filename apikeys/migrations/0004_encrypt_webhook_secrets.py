import apikeys.fields
from django.db import migrations

# The secrets stored in the clear before this migration are encrypted in place. Raw SQL:
# the historical model's field would try to decrypt the clear values it reads.
SELECT = "SELECT id, webhook_secret, webhook_secret_previous FROM apikeys_partner"
UPDATES = (
    "UPDATE apikeys_partner SET webhook_secret = %s WHERE id = %s",
    "UPDATE apikeys_partner SET webhook_secret_previous = %s WHERE id = %s",
)


def encrypt_stored_secrets(apps, schema_editor):
    from apikeys import secret_box

    _convert(schema_editor.connection, secret_box.encrypt)


def decrypt_stored_secrets(apps, schema_editor):
    from apikeys import secret_box

    _convert(schema_editor.connection, secret_box.decrypt)


def _convert(connection, convert):
    with connection.cursor() as cursor:
        cursor.execute(SELECT)
        for partner_id, *values in cursor.fetchall():
            for update, value in zip(UPDATES, values, strict=True):
                if value:
                    cursor.execute(update, [convert(value), partner_id])


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0003_partner_webhook_failing_since_and_more"),
    ]

    operations = [
        migrations.AlterField(
            model_name="partner",
            name="webhook_secret",
            field=apikeys.fields.EncryptedSecretField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="partner",
            name="webhook_secret_previous",
            field=apikeys.fields.EncryptedSecretField(blank=True, editable=False),
        ),
        migrations.RunPython(encrypt_stored_secrets, decrypt_stored_secrets),
    ]
