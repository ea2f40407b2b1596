from django.db import models

from apikeys import secret_box


class EncryptedSecretField(models.TextField):
    """A text value stored encrypted (apikeys.secret_box): the model holds the plain value,
    the database only the Fernet token. The empty string (no secret) is stored as is.
    Tokens are randomised, so the column cannot be filtered on by value."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return secret_box.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secret_box.encrypt(value)
