"""Secrets the CRM must read back (webhook signing secrets), encrypted at rest.

A signing secret cannot be hashed like a credential: HMAC needs it whole. It is kept
as a Fernet token (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key
derived with HKDF-SHA256 from `CRM_SECRET_KEY`, so a copy of the database alone does
not sign webhooks. Another `CRM_SECRET_KEY` derives another key: secrets sealed under
the old one no longer open (`SecretUnreadable`) and must be rotated.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"crm webhook signing secrets v1"
"""HKDF's `info`: the key is for this and nothing else derived from the same secret."""


class SecretUnreadable(Exception):
    """A sealed secret does not open under this key (`CRM_SECRET_KEY` changed, or the
    stored value was altered)."""


class SecretBox:
    """Seals and opens secrets with a key derived from the app's secret key."""

    def __init__(self, secret_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        """`secret` encrypted and authenticated, as text for a column."""
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret `seal` gave `sealed` for; `SecretUnreadable` when it does not open."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretUnreadable(
                "the signing secret cannot be decrypted (was CRM_SECRET_KEY changed?): "
                "rotate the endpoint's secret"
            ) from None
