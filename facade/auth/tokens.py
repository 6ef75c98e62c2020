"""Access tokens: JWTs signed and checked with python-jose, one algorithm on both sides.

python-jose checks too little by default, so every claim the CRM relies on is
required explicitly, the algorithm list is fixed, and the key is chosen by the
header's `kid` among the configured keys: a new key can sign while the old one
still verifies, so keys rotate without downtime.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jose import jwt
from jose.exceptions import JWTError

from crm.domain.credentials import format_scopes
from crm.settings import Settings

ALGORITHM = "HS256"
"""The only algorithm issued or accepted: the CRM both signs and verifies its tokens."""

REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud", "iss", "jti", "scope", "client_id")
"""Claims every access token carries; a token without one is refused, naming it."""

CLOCK_LEEWAY_S = 30
"""Clock skew tolerated between servers when reading `exp`, `iat` and `nbf`, in seconds."""

_SIGNATURE_ONLY = {
    "verify_signature": True,
    **{
        f"verify_{claim}": False
        for claim in ("aud", "iat", "exp", "nbf", "iss", "sub", "jti", "at_hash")
    },
}


class TokenInvalid(Exception):
    """A token that cannot be accepted; the message is safe to show (it holds no token)."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A signed access token and what it says."""

    token: str
    claims: dict[str, Any]
    expires_in: int


class TokenSigner:
    """Issues and verifies the CRM's access tokens."""

    def __init__(self, settings: Settings) -> None:
        self.key_id, self._keys = settings.jwt_signing_keys()
        self.issuer = settings.public_url
        self.audience = settings.public_url
        self.ttl_s = settings.access_token_ttl_s

    def issue(
        self,
        *,
        subject: str,
        scopes: Iterable[str],
        client_id: str,
        family: str | None = None,
        user_id: str | None = None,
    ) -> AccessToken:
        """A fresh access token for `subject` with `scopes`, signed with the current key."""
        issued = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": issued,
            "exp": issued + self.ttl_s,
            "jti": secrets.token_hex(16),
            "scope": format_scopes(scopes),
            "client_id": client_id,
        }
        if family is not None:
            claims["fam"] = family
        if user_id is not None:
            claims["uid"] = user_id
        token = jwt.encode(
            claims, self._keys[self.key_id], algorithm=ALGORITHM, headers={"kid": self.key_id}
        )
        return AccessToken(token=token, claims=claims, expires_in=self.ttl_s)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this CRM signed, or `TokenInvalid` saying why not."""
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise TokenInvalid("the token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise TokenInvalid("the token's algorithm is not accepted")
        if "crit" in header:
            # RFC 7515 §4.1.11: a critical extension we do not implement refuses the token.
            raise TokenInvalid("the token needs header extensions this server does not support")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenInvalid("the token was signed with an unknown key")
        try:
            # python-jose checks the signature only; every claim is checked below, so a
            # missing or malformed claim is reported as what it is.
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options=_SIGNATURE_ONLY)
        except JWTError:
            raise TokenInvalid("the token's signature is not valid") from None
        self._check_claims(claims, int(time.time()))
        return claims

    def _check_claims(self, claims: dict[str, Any], clock: int) -> None:
        for claim in REQUIRED_CLAIMS:
            if claim not in claims:
                raise TokenInvalid(f"the token has no {claim!r} claim")
        for claim in ("iss", "sub", "scope", "client_id", "jti"):
            if not isinstance(claims[claim], str):
                raise TokenInvalid(f"the token has no valid {claim!r} claim")
        for claim in ("exp", "iat", "nbf"):
            value = claims.get(claim, 0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TokenInvalid(f"the token's {claim!r} claim is not a number")
        audience = claims["aud"]
        audiences = audience if isinstance(audience, list) else [audience]
        if claims["iss"] != self.issuer or self.audience not in audiences:
            raise TokenInvalid("the token's claims are not valid here")
        if claims["exp"] <= clock - CLOCK_LEEWAY_S:
            raise TokenInvalid("the token has expired")
        if claims["iat"] > clock + CLOCK_LEEWAY_S or claims.get("nbf", 0) > clock + CLOCK_LEEWAY_S:
            raise TokenInvalid("the token is not valid yet")
        if claims["exp"] > claims["iat"] + self.ttl_s:
            raise TokenInvalid("the token outlives the access-token lifetime")
