"""Relations load through DataLoaders: a page costs the same number of SQL queries whatever
its size, counted on the engine the app really runs.
"""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from crm.domain.companies import CompanyInput
from crm.domain.contacts import ContactInput
from crm.domain.phone_numbers import PhoneInput, PhoneKind
from crm.domain.services import Services
from crm.domain.users import UserInput
from tests.graphql.query_counts import pages_and_query_counts

CONTACTS_PAGE = """
query($first: Int) {
  contacts(first: $first) {
    nodes {
      id firstName
      owner { email }
      phones { e164 kind }
      company { name owner { email } phones { e164 } }
    }
    pageInfo { hasNextPage }
  }
}
"""

COMPANIES_PAGE = """
query($first: Int) {
  companies(first: $first) {
    nodes { name phones { e164 } contacts(first: 3) { nodes { firstName phones { e164 } } } }
  }
}
"""


async def seed(services: Services, contacts: int) -> None:
    """`contacts` contacts, each with two numbers, spread over companies and owners."""
    owners = [
        (
            await services.users.create(
                UserInput(email=f"owner{i}@example.com", password="long enough")
            )
        ).id
        for i in range(4)
    ]
    companies = []
    for i in range(contacts // 2):
        company = await services.companies.create(
            CompanyInput(
                name=f"Company {i}",
                owner_id=owners[i % len(owners)],
                phones=[PhoneInput(f"+1 212 555 {1000 + i:04d}", PhoneKind.MAIN)],
            )
        )
        companies.append(company.id)
    for i in range(contacts):
        await services.contacts.create(
            ContactInput(
                first_name=f"Contact {i}",
                owner_id=owners[i % len(owners)],
                company_id=companies[i % len(companies)],
                phones=[
                    PhoneInput(f"+44 20 7946 {i:04d}"),
                    PhoneInput(f"+49 151 2345 {i:04d}", PhoneKind.MOBILE),
                ],
            )
        )


async def test_a_page_of_contacts_with_relations_costs_the_same_queries_for_10_and_100(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(app.state.services, 100)
    pages, counts = await pages_and_query_counts(
        client, app, monkeypatch, CONTACTS_PAGE, "contacts", (10, 100)
    )
    for nodes in pages.values():
        assert all(len(node["phones"]) == 2 and node["company"]["phones"] for node in nodes)
        assert all(node["owner"] and node["company"]["owner"] for node in nodes)
    assert counts[10] == counts[100], counts
    # the page, companies, contact owners, company owners, contact phones, company phones
    assert 0 < counts[100] <= 6, counts


async def test_a_page_of_companies_with_their_contacts_costs_the_same_queries_for_5_and_50(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(app.state.services, 100)
    pages, counts = await pages_and_query_counts(
        client, app, monkeypatch, COMPANIES_PAGE, "companies", (5, 50)
    )
    for nodes in pages.values():
        assert all(len(node["contacts"]["nodes"]) == 2 for node in nodes)
    assert counts[5] == counts[50], counts
    assert 0 < counts[50] <= 6, counts
