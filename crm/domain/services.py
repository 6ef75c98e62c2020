"""All domain services, built once per app from the configuration."""

from __future__ import annotations

from pathlib import Path

from crm.domain.activities import ActivityService
from crm.domain.call_reports import CallReportService
from crm.domain.companies import CompanyService
from crm.domain.config import DomainConfig
from crm.domain.contacts import ContactService
from crm.domain.credentials import CredentialService
from crm.domain.deletions import DeletionService
from crm.domain.events import EventBus, InProcessBus
from crm.domain.import_jobs import ImportJobService
from crm.domain.lookup import LookupService
from crm.domain.passwords import Passwords
from crm.domain.ratelimit import RateLimiter
from crm.domain.recordings import RecordingService
from crm.domain.secret_box import SecretBox
from crm.domain.storage import FilesystemStorage, RecordingStorage
from crm.domain.users import UserService
from crm.domain.webhooks import Outbox, WebhookService


class Services:
    """The entry point the transports use: one attribute per CRM object."""

    def __init__(
        self,
        config: DomainConfig,
        events: EventBus | None = None,
        storage: RecordingStorage | None = None,
    ) -> None:
        self.config = config
        self.storage: RecordingStorage = storage or FilesystemStorage(Path("recordings"))
        """Where recording bytes are kept (`CRM_RECORDINGS_URL`); opened by the app's start-up."""
        self.events: EventBus = events or InProcessBus()
        """Where the services announce committed changes, and subscribers hear them."""
        self.passwords = Passwords(config.password_hash_concurrency)
        self.users = UserService(config, self.passwords, self.events)
        self.credentials = CredentialService(
            config.credential_key,
            code_ttl_s=config.auth_code_ttl_s,
            refresh_ttl_s=config.refresh_token_ttl_s,
            events=self.events,
        )
        self.rate_limits = RateLimiter(config.auth_max_failures, config.auth_failure_window_s)
        self.outbox = Outbox()
        """Where changes write the outbound webhooks they cause, in their transaction."""
        self.companies = CompanyService(config, self.outbox)
        self.contacts = ContactService(config, self.companies, self.outbox)
        self.webhooks = WebhookService(
            config.webhook_rules, config.webhook_policy, SecretBox(config.credential_key)
        )
        self.recordings = RecordingService(config, self.storage, self.events, self.outbox)
        self.lookup = LookupService(config)
        self.activities = ActivityService(config, self.lookup, self.events, self.outbox)
        self.call_reports = CallReportService(self.activities, self.users)
        self.deletions = DeletionService(config)
        self.import_jobs = ImportJobService()
        """Where the console's background imports stand (`crm.import_runner` runs them)."""
