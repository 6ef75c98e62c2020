"""What the domain services need to know of the settings, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crm.domain.webhooks import DeliveryPolicy, TargetRules

if TYPE_CHECKING:
    from crm.settings import Settings


@dataclass(frozen=True, slots=True)
class DomainConfig:
    """Service-level configuration, built by the app factory from `Settings`."""

    default_region: str = "US"
    page_size_default: int = 50
    page_size_max: int = 500
    lookup_suffix_digits: int = 7
    internal_extension_max_digits: int = 6
    own_numbers: tuple[str, ...] = ()
    recording_url: str = ""
    """Where a call's recording is served, `{activity_id}` marking the call; the app factory,
    which knows the route, fills it in."""
    recording_max_bytes: int = 2_000_000_000
    credential_key: str = ""
    """Keys the hashes of stored credentials (derived from `CRM_SECRET_KEY`)."""
    auth_code_ttl_s: int = 120
    refresh_token_ttl_s: int = 30 * 86_400
    auth_max_failures: int = 10
    auth_failure_window_s: int = 300
    password_hash_concurrency: int = 2
    webhook_rules: TargetRules = field(default_factory=TargetRules)
    webhook_policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)

    @classmethod
    def from_settings(cls, settings: Settings, *, recording_url: str = "") -> DomainConfig:
        """The configuration `settings` give, with the URL template of the route that serves
        recordings (the app's; a command that serves none leaves it out)."""
        return cls(
            default_region=settings.default_region,
            page_size_default=settings.page_size_default,
            page_size_max=settings.page_size_max,
            lookup_suffix_digits=settings.lookup_suffix_digits,
            internal_extension_max_digits=settings.internal_extension_max_digits,
            own_numbers=settings.own_number_list,
            recording_url=recording_url,
            recording_max_bytes=settings.recording_max_bytes,
            credential_key=settings.signing_key(),
            auth_code_ttl_s=settings.auth_code_ttl_s,
            refresh_token_ttl_s=settings.refresh_token_ttl_s,
            auth_max_failures=settings.auth_max_failures,
            auth_failure_window_s=settings.auth_failure_window_s,
            password_hash_concurrency=settings.password_hash_concurrency,
            webhook_rules=TargetRules(settings.webhook_network_list),
            webhook_policy=DeliveryPolicy(
                timeout_s=settings.webhook_timeout_s,
                max_attempts=settings.webhook_max_attempts,
                retry_for_s=settings.webhook_retry_for_s,
                backoff_base_s=settings.webhook_backoff_base_s,
                backoff_max_s=settings.webhook_backoff_max_s,
                lease_for_s=settings.webhook_lease_s,
            ),
        )
