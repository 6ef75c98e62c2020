"""All domain services, built once per app from the configuration."""

from __future__ import annotations

from crm.domain.companies import CompanyService
from crm.domain.config import DomainConfig
from crm.domain.contacts import ContactService
from crm.domain.deletions import DeletionService
from crm.domain.lookup import LookupService
from crm.domain.users import UserService


class Services:
    """The entry point the transports use: one attribute per CRM object."""

    def __init__(self, config: DomainConfig) -> None:
        self.config = config
        self.users = UserService(config)
        self.companies = CompanyService(config)
        self.contacts = ContactService(config, self.companies)
        self.lookup = LookupService(config)
        self.deletions = DeletionService(config)
