"""Caller lookup in the domain: tiers, what never matches, and bad input."""

from __future__ import annotations

import pytest

from crm.domain.config import DomainConfig
from crm.domain.errors import ValidationFailed
from crm.domain.lookup import LookupService
from tests.phone_rows import add_company, add_contact, who


def service(**config: object) -> LookupService:
    return LookupService(DomainConfig(**config))  # type: ignore[arg-type]


async def test_lookup_in_e164_finds_exact_match() -> None:
    ann = await add_contact("Ann", [("+1 415 555 0100", "mobile")])
    matches = await service().find("+14155550100")
    assert [(m.entity, m.contact and m.contact.id, m.match) for m in matches] == [
        ("contact", ann.id, "e164")
    ]
    assert matches[0].number == "+1 415 555 0100"
    assert matches[0].kind == "mobile"
    assert matches[0].main_line is False


async def test_lookup_without_country_code_finds_national_match_in_another_region() -> None:
    bob = await add_contact("Bob", [("+44 20 7946 0018", "work")])
    matches = await service(default_region="US").find("020 7946 0018")
    assert [(m.contact and m.contact.id, m.match) for m in matches] == [(bob.id, "national")]


async def test_lookup_of_number_stored_without_country_falls_back_to_suffix() -> None:
    cid = await add_contact("Cid", [("555-0100", "work")])
    matches = await service().find("+1 (415) 555-0100")
    assert [(m.contact and m.contact.id, m.match) for m in matches] == [(cid.id, "suffix")]


async def test_lookup_with_country_code_ignores_same_suffix_in_other_country() -> None:
    await add_contact("Dee", [("+44 20 7555 0100", "work")])
    assert await service().find("+1 415 555 0100") == []


async def test_lookup_of_unknown_number_finds_nothing() -> None:
    await add_contact("Eve", [("+1 415 555 0100", "work")])
    assert await service().find("+1 212 555 0199") == []


@pytest.mark.parametrize("phone", ["hello", "", "   ", "+", "ext. 12", "415-CALL-NOW"])
async def test_lookup_of_text_that_is_no_number_fails_naming_phone(phone: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await service().find(phone)
    assert caught.value.field == "phone"


async def test_lookup_of_internal_extension_finds_nothing() -> None:
    await add_contact("Fay", [("101", "work"), ("+1 415 555 0101", "work")])
    assert await service().find("101") == []
    assert await service().find("5550101") != []
    assert await service(internal_extension_max_digits=7).find("5550101") == []


async def test_lookup_of_own_number_finds_nothing() -> None:
    await add_contact("Gus", [("+1 415 555 0000", "work")])
    await add_company("Us", [("+1 415 555 0000", "main")])
    own = service(own_numbers=("+1 415 555 0000",))
    assert await own.find("(415) 555-0000") == []
    assert await own.find("+14155550000") == []
    assert len(await service().find("+14155550000")) == 2


async def test_lookup_ranks_contact_number_before_company_number() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "work")])
    ann = await add_contact("Ann", [("+1 415 555 0100", "work")])
    matches = await service().find("+14155550100")
    assert who(matches) == [
        ("contact", ann.id, "e164", False),
        ("company", acme.id, "e164", False),
    ]


async def test_lookup_of_main_line_lists_company_then_its_contacts() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "main")])
    staff = [await add_contact(f"S{i}", [("415 555 0100", "work")], company=acme) for i in range(3)]
    matches = await service().find("14155550100")
    assert who(matches)[0] == ("company", acme.id, "e164", True)
    assert sorted(who(matches)[1:]) == sorted(("contact", s.id, "e164", True) for s in staff)
    assert {m.company.id for m in matches if m.company} == {acme.id}
