"""Access-token keys: the algorithm is fixed, the key is chosen by `kid`, keys rotate."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from jose import jwt

from crm.settings import Settings, SettingsError
from facade.auth.tokens import TokenInvalid, TokenSigner
from tests.auth_tools import claims_for, forge, unsigned
from tests.conftest import make_settings

OLD = "o" * 40
NEW = "n" * 40


def signer(tmp_path: Path, keys: dict[str, str], current: str) -> TokenSigner:
    return TokenSigner(make_settings(tmp_path, jwt_keys=json.dumps(keys), jwt_key_id=current))


def test_a_token_signed_by_the_old_key_verifies_after_the_new_key_takes_over(
    tmp_path: Path,
) -> None:
    before = signer(tmp_path, {"old": OLD}, "old")
    issued = before.issue(subject="s", scopes=["ringotel"], client_id="crmc_x")
    during = signer(tmp_path, {"old": OLD, "new": NEW}, "new")
    assert during.verify(issued.token)["sub"] == "s"
    fresh = during.issue(subject="t", scopes=["ringotel"], client_id="crmc_x")
    assert (before.key_id, during.key_id) == ("old", "new")
    with pytest.raises(TokenInvalid, match="unknown key"):
        before.verify(fresh.token)  # a server not yet told about the new key
    after = signer(tmp_path, {"new": NEW}, "new")
    with pytest.raises(TokenInvalid, match="unknown key"):
        after.verify(issued.token)  # the old key dropped: its tokens end


def test_default_key_is_the_secret_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    current, keys = settings.jwt_signing_keys()
    assert current == "default"
    assert keys == {"default": settings.signing_key()}


@pytest.mark.parametrize(
    ("keys", "current", "message"),
    [
        ("not json", "", "CRM_JWT_KEYS: must be a JSON object"),
        ('["a"]', "", "CRM_JWT_KEYS: must be a JSON object"),
        ('{"a": "short"}', "", "CRM_JWT_KEYS: key 'a' needs at least 32 bytes, has 5"),
        (json.dumps({"a": OLD}), "b", "CRM_JWT_KEY_ID 'b' is not a key of CRM_JWT_KEYS"),
    ],
)
def test_bad_key_settings_name_the_variable(
    tmp_path: Path, keys: str, current: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        make_settings(tmp_path, jwt_keys=keys, jwt_key_id=current)


def test_every_required_claim_is_checked(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    checker = TokenSigner(settings)
    assert checker.verify(forge(settings))["scope"]
    for claim in ("exp", "iat", "sub", "aud", "iss", "scope", "jti", "client_id"):
        dropped: dict[str, Any] = {claim: None}
        token = forge(settings, **dropped)
        with pytest.raises(TokenInvalid):
            checker.verify(token)
    for bad in (
        unsigned(settings),
        forge(settings, algorithm="HS384"),
        forge(settings, aud="http://elsewhere.test"),
        forge(settings, exp=1, iat=0),
        forge(settings, key="k" * 40),
        "a.b.c",
        "",
    ):
        with pytest.raises(TokenInvalid):
            checker.verify(bad)


async def test_error_bodies_never_hold_the_token(anonymous: httpx.AsyncClient) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ"
    response = await anonymous.post(
        "/graphql",
        json={"query": "{ users { nodes { id } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert token not in response.text
    assert "c2VjcmV0LXNpZ25hdHVyZQ" not in response.text


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 3700}, "not valid yet"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"exp": int(time.time()) + 86_400 * 365}, "outlives the access-token lifetime"),
        ({"exp": str(int(time.time()) + 60)}, "'exp' claim is not a number"),
        ({"exp": [int(time.time()) + 60]}, "'exp' claim is not a number"),
        ({"exp": True}, "'exp' claim is not a number"),
        ({"iat": "now"}, "'iat' claim is not a number"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "has expired"),
        ({"iss": "http://elsewhere.test"}, "claims are not valid here"),
        ({"aud": ["http://elsewhere.test"]}, "claims are not valid here"),
        ({"sub": 7}, "no valid 'sub' claim"),
    ],
)
def test_tokens_signed_with_the_real_key_but_bad_claims_are_refused(
    tmp_path: Path, overrides: dict[str, Any], reason: str
) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(TokenInvalid, match=reason):
        TokenSigner(settings).verify(forge(settings, **overrides))


def test_a_small_clock_skew_is_tolerated(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    now = int(time.time())
    token = forge(settings, iat=now + 5, exp=now + 5 + settings.access_token_ttl_s)
    assert TokenSigner(settings).verify(token)["iat"] == now + 5


@pytest.mark.parametrize("crit", [["exp"], ["b64"], ["x-unknown"], []])
def test_a_token_with_a_critical_header_extension_is_refused(
    tmp_path: Path, crit: list[str]
) -> None:
    settings = make_settings(tmp_path)
    current, keys = settings.jwt_signing_keys()
    token = jwt.encode(
        claims_for(settings),
        keys[current],
        algorithm="HS256",
        headers={"kid": current, "crit": crit},
    )
    with pytest.raises(TokenInvalid, match="header extensions"):
        TokenSigner(settings).verify(token)


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "aud", "iss", "scope", "jti", "client_id"])
def test_a_missing_claim_is_reported_as_missing(tmp_path: Path, claim: str) -> None:
    settings = make_settings(tmp_path)
    dropped: dict[str, Any] = {claim: None}
    with pytest.raises(TokenInvalid) as caught:
        TokenSigner(settings).verify(forge(settings, **dropped))
    assert str(caught.value) == f"the token has no {claim!r} claim"


async def test_a_future_token_is_refused_on_a_hook(
    anonymous: httpx.AsyncClient, settings: Settings
) -> None:
    now = int(time.time())
    token = forge(settings, iat=now + 7200, exp=now + 7300)
    response = await anonymous.get(
        "/ringotel/v1/users", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert "not valid yet" in response.headers["www-authenticate"]
