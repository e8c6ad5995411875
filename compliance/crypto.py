"""Encryption at rest for KYC data: fields (ID number, date of birth) and document files.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256) in KYC_ENCRYPTION_KEYS, newest first:
the first encrypts, all decrypt (cryptography's MultiFernet), so a key is rotated by
putting a new one in front, running ``manage.py reencrypt_kyc`` (which rewrites every
field and file with the first key), and then dropping the old one. Locally, without the
setting, one key is derived from SECRET_KEY; production refuses to start without it.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _keys() -> tuple[str, ...]:
    configured = tuple(key.strip() for key in getattr(settings, "KYC_ENCRYPTION_KEYS", []) if key.strip())
    if configured:
        return configured
    derived = hmac.new(settings.SECRET_KEY.encode(), b"blockscore/kyc-encryption", hashlib.sha256).digest()
    return (base64.urlsafe_b64encode(derived).decode(),)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(_keys())


def encrypt(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """Raises ``InvalidToken`` when no configured key opens it."""
    return fernet().decrypt(token)


def rotate(token: bytes) -> bytes:
    """The token re-encrypted with the newest key (same plain text)."""
    return fernet().rotate(token)


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token; Python code sees the plain text.

    Tokens are randomised, so the database cannot search or compare these values."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(f"{self.model.__name__}.{self.name}: no KYC_ENCRYPTION_KEYS key decrypts it") from exc

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value).encode()).decode()

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "compliance.crypto.EncryptedTextField", args, kwargs


__all__ = ["EncryptedTextField", "InvalidToken", "decrypt", "encrypt", "fernet", "rotate"]
