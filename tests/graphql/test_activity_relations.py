"""An activity's relations (user, contact, company, recording) and `Contact.activities`,
all through DataLoaders: a page costs the same number of queries whatever its size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from crm.domain.activities import ActivityInput
from crm.domain.contacts import ContactInput
from crm.domain.services import Services
from crm.domain.users import UserInput
from tests import audio_samples
from tests.graphql.crm_records import create_company, create_contact
from tests.graphql.query_counts import pages_and_query_counts
from tests.graphql_client import every_page, gql, nodes

BASE = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

CONTACTS_WITH_CALLS = """
query($first: Int) {
  contacts(first: $first) {
    nodes {
      id
      activities(first: 2) {
        nodes { callId user { email } contact { id } company { name } recording { sha256 } }
        pageInfo { hasNextPage }
      }
    }
  }
}
"""


async def one_chunk(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def test_activity_shows_its_user_contact_company_and_recording(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    services: Services = app.state.services
    company = await create_company(client, name="Acme")
    contact = await create_contact(client, firstName="Cleo", companyId=company["id"])
    user = await services.users.create(UserInput(email="agent@example.com", password="long enough"))
    data = await gql(
        client,
        "mutation($i: CreateActivityInput!) { createActivity(input: $i) { activity { id "
        "user { email } contact { firstName } company { name } } } }",
        {
            "i": {
                "callId": "c1",
                "direction": "INBOUND",
                "userId": str(user.id),
                "contactId": contact["id"],
            }
        },
    )
    activity = data["createActivity"]["activity"]
    assert activity["user"] == {"email": "agent@example.com"}
    assert activity["contact"] == {"firstName": "Cleo"}
    assert activity["company"] == {"name": "Acme"}  # from the contact


async def test_contact_activities_are_newest_first_and_paged(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    services: Services = app.state.services
    contact = await create_contact(client, firstName="Cleo")
    other = await create_contact(client, firstName="Otto")
    for i in range(5):
        await services.activities.create(
            ActivityInput(
                call_id=f"c{i}",
                direction="inbound",
                contact_id=contact["id"],
                started_at=BASE + timedelta(hours=i),
            )
        )
    await services.activities.create(
        ActivityInput(call_id="other", direction="inbound", contact_id=other["id"])
    )
    query = """
    query($id: ID!, $after: String) { contact(id: $id) {
      activities(first: 2, after: $after) { nodes { callId } pageInfo { endCursor hasNextPage } }
    } }
    """
    pages = await every_page(
        client, query, {"id": contact["id"]}, connection=["contact", "activities"]
    )
    seen = [node["callId"] for node in nodes(pages)]
    assert seen == ["c4", "c3", "c2", "c1", "c0"]


async def seed(services: Services, contacts: int) -> None:
    """`contacts` contacts with three calls each, one of them recorded."""
    user = await services.users.create(UserInput(email="agent@example.com", password="long enough"))
    for i in range(contacts):
        contact, _ = await services.contacts.create(ContactInput(first_name=f"Contact {i}"))
        for n in range(3):
            activity, _ = await services.activities.create(
                ActivityInput(
                    call_id=f"c{i}-{n}",
                    direction="outbound",
                    user_id=user.id,
                    contact_id=contact.id,
                    started_at=BASE + timedelta(minutes=n),
                )
            )
            if n == 2:
                await services.recordings.attach(activity.id, one_chunk(audio_samples.flac()))


async def test_contacts_with_their_calls_cost_the_same_queries_for_5_and_25(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(app.state.services, 25)
    pages, counts = await pages_and_query_counts(
        client, app, monkeypatch, CONTACTS_WITH_CALLS, "contacts", (5, 25)
    )
    for node in (node for page in pages.values() for node in page):
        calls = node["activities"]["nodes"]
        assert [call["callId"][-1] for call in calls] == ["2", "1"]
        assert node["activities"]["pageInfo"]["hasNextPage"] is True
        assert all(call["contact"]["id"] == node["id"] for call in calls)
        assert calls[0]["recording"] is not None
        assert calls[1]["recording"] is None
        assert all(call["user"] == {"email": "agent@example.com"} for call in calls)
    assert counts[5] == counts[25], counts
    # contacts page, ranked call ids, calls, users, contacts, recordings
    assert 0 < counts[25] <= 7, counts
