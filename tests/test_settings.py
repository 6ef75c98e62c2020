"""Settings: defaults that run on a fresh machine, and one clear line for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.domain.storage import BucketLocation
from crm.settings import SettingsError, load_settings


def test_defaults_serve_sqlite_in_the_working_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite:///crm.sqlite"
    assert settings.database_url.startswith("sqlite:")


def test_environment_variables_are_read_with_the_crm_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_DEFAULT_REGION", "gb")
    monkeypatch.setenv("CRM_PUBLIC_URL", "https://crm.example.com/")
    settings = load_settings()
    assert settings.default_region == "GB"
    assert settings.public_url == "https://crm.example.com"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CRM_DATABASE_URL", "mysql://x", "CRM_DATABASE_URL: must start with sqlite:/// or"),
        ("CRM_DEFAULT_REGION", "XX", "CRM_DEFAULT_REGION: 'XX' is not a region"),
        ("CRM_PUBLIC_URL", "crm.example.com", "CRM_PUBLIC_URL: must be an absolute"),
        ("CRM_PAGE_SIZE_MAX", "lots", "CRM_PAGE_SIZE_MAX: Input should be a valid integer"),
        ("CRM_PAGE_SIZE_DEFAULT", "0", "CRM_PAGE_SIZE_DEFAULT: Input should be greater"),
        ("CRM_GRAPHIQL", "maybe", "CRM_GRAPHIQL: Input should be a valid boolean"),
        ("CRM_TRUSTED_PROXIES", "10.0.0.1,proxy", "CRM_TRUSTED_PROXIES: 'proxy' is not an IP"),
        ("CRM_PASSWORD_HASH_CONCURRENCY", "0", "CRM_PASSWORD_HASH_CONCURRENCY: Input should be"),
        ("CRM_RECORDINGS_URL", "/srv/recordings", "CRM_RECORDINGS_URL: must be file:///path"),
        ("CRM_RECORDINGS_URL", "ftp://host/x", "CRM_RECORDINGS_URL: must be file:///path"),
        ("CRM_RECORDINGS_URL", "file://host/x", "CRM_RECORDINGS_URL: write file:///absolute"),
        ("CRM_RECORDINGS_URL", "file:", "CRM_RECORDINGS_URL: write file:///absolute"),
        ("CRM_RECORDINGS_URL", "s3://", "CRM_RECORDINGS_URL: '' is not an S3 bucket name"),
        ("CRM_RECORDINGS_URL", "s3://Bad_Bucket/x", "CRM_RECORDINGS_URL: 'Bad_Bucket' is not"),
        ("CRM_RECORDINGS_URL", "s3://bücket/x", "CRM_RECORDINGS_URL: 'bücket' is not"),
        ("CRM_RECORDINGS_URL", "s3://bucket/../up", "CRM_RECORDINGS_URL: '../up' is not a key"),
        ("CRM_RECORDINGS_URL", "s3://bucket/a//b", "CRM_RECORDINGS_URL: 'a//b' is not a key"),
        ("CRM_RECORDINGS_URL", "s3://bucket/p?x=1", "CRM_RECORDINGS_URL: must not carry a"),
        ("CRM_S3_ENDPOINT_URL", "seaweed:8333", "CRM_S3_ENDPOINT_URL: must be an http://"),
        ("CRM_S3_ENDPOINT_URL", "http://h:1/path", "CRM_S3_ENDPOINT_URL: must be an http://"),
        ("CRM_WEBHOOK_LEASE_S", "5", "CRM settings: CRM_WEBHOOK_LEASE_S (5) must be longer"),
        ("CRM_WEBHOOK_LEASE_S", "-1", "CRM_WEBHOOK_LEASE_S: Input should be greater"),
    ],
)
def test_a_malformed_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(said)
    assert "\n" not in message


def test_a_generated_secret_key_is_kept_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    settings = load_settings(secret_key="", secret_key_file=key_file)
    first = settings.signing_key()
    assert len(first) >= 48
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_settings(secret_key="", secret_key_file=key_file).signing_key() == first


def test_a_configured_secret_key_wins(tmp_path: Path) -> None:
    configured = "configured-" + "k" * 32
    settings = load_settings(secret_key=configured, secret_key_file=tmp_path / "key")
    assert settings.signing_key() == configured
    assert not (tmp_path / "key").exists()


def test_trusted_proxies_are_read_as_addresses_and_networks() -> None:
    settings = load_settings(trusted_proxies=" 10.0.0.1, 10.1.2.3/8 ,::1")
    assert settings.trusted_proxy_list == ("10.0.0.1", "10.0.0.0/8", "::1")
    assert load_settings(trusted_proxies="10.0.0.1,*").trusted_proxy_list == ("*",)
    assert load_settings().trusted_proxy_list == ()


@pytest.mark.parametrize(
    ("url", "place"),
    [
        ("file:recordings", Path("recordings")),
        ("file:///srv/crm/recordings", Path("/srv/crm/recordings")),
        ("file:///srv/crm%20data", Path("/srv/crm data")),
        ("s3://crm-recordings", BucketLocation("crm-recordings", "", "http://s3.test:8333")),
        ("s3://crm-recordings/eu/calls/", BucketLocation("crm-recordings", "eu/calls", None)),
    ],
)
def test_the_recordings_url_names_a_folder_or_a_bucket(
    url: str, place: Path | BucketLocation
) -> None:
    endpoint = place.endpoint_url if isinstance(place, BucketLocation) else None
    settings = load_settings(recordings_url=url, s3_endpoint_url=endpoint or "")
    assert settings.recordings_place == place
    assert settings.recordings_folder == (place if isinstance(place, Path) else None)


def test_the_replaced_recordings_dir_stops_start_up_saying_what_to_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_RECORDINGS_DIR", "/srv/recordings")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "CRM_RECORDINGS_URL=file:///path/to/folder" in str(caught.value)
