"""Password hashing with Argon2id: slow, salted, and never stored in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm.domain.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


def hash_password(password: str, *, field: str = "password") -> str:
    """The Argon2id hash of `password`; refuses passwords too short to be safe."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"must be at least {MIN_PASSWORD_LENGTH} characters", field=field)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches; compares in constant time, never raises on a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
