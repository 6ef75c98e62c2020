"""Caller lookup in the domain: tiers, what never matches, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm.domain.activities import ActivityInput, ActivityService
from crm.domain.config import DomainConfig
from crm.domain.errors import ValidationFailed
from crm.domain.lookup import LookupService
from crm.domain.phone_normalization import normalize
from crm.tables import Activity, Contact, PhoneNumber
from tests.phone_rows import add_call, add_company, add_contact, who


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


T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_lookup_ranks_exact_before_national_before_suffix() -> None:
    suffix = await add_contact("Suffix", [("555-0100", "mobile")])
    national = await add_contact("National", [("+49 4155 550100", "mobile")])
    exact = await add_contact("Exact", [("+1 415 555 0100", "other")])
    matches = await service().find("(415) 555-0100")
    assert who(matches) == [
        ("contact", exact.id, "e164", False),
        ("contact", national.id, "national", False),
        ("contact", suffix.id, "suffix", False),
    ]


async def test_lookup_ranks_mobile_and_work_before_other_kinds() -> None:
    home = await add_contact("Home", [("+1 415 555 0100", "home")], updated_at=T0)
    fax = await add_contact("Fax", [("+1 415 555 0100", "fax")], updated_at=T0)
    mobile = await add_contact("Mobile", [("+1 415 555 0100", "mobile")], updated_at=T0)
    work = await add_contact("Work", [("+1 415 555 0100", "work")], updated_at=T0)
    ranked = [m.contact.id for m in await service().find("+14155550100") if m.contact]
    assert set(ranked[:2]) == {mobile.id, work.id}
    assert set(ranked[2:]) == {home.id, fax.id}


async def test_lookup_ranks_the_most_recent_caller_first() -> None:
    old = await add_contact("Old", [("+1 415 555 0100", "mobile")], updated_at=T0)
    recent = await add_contact("Recent", [("+1 415 555 0100", "mobile")], updated_at=T0)
    never = await add_contact("Never", [("+1 415 555 0100", "mobile")], updated_at=T0)
    await add_call(old, T0 + timedelta(days=1))
    await add_call(recent, T0 + timedelta(days=2))
    await add_call(old, T0)
    ranked = [m.contact.id for m in await service().find("+14155550100") if m.contact]
    assert ranked == [recent.id, old.id, never.id]


async def test_lookup_without_calls_ranks_the_most_recently_updated_first() -> None:
    older = await add_contact("Older", [("+1 415 555 0100", "work")], updated_at=T0)
    newer = await add_contact("Newer", [("+1 415 555 0100", "work")], updated_at=T0 + timedelta(1))
    ranked = [m.contact.id for m in await service().find("+14155550100") if m.contact]
    assert ranked == [newer.id, older.id]


async def test_main_line_contacts_come_after_their_company_most_recent_caller_first() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "main")])
    quiet = await add_contact("Quiet", [("+1 415 555 0100", "work")], company=acme, updated_at=T0)
    caller = await add_contact("Caller", [("(415) 555-0100", "work")], company=acme, updated_at=T0)
    await add_call(caller, T0 + timedelta(hours=1))
    matches = await service().find("+1 415 555 0100")
    assert who(matches) == [
        ("company", acme.id, "e164", True),
        ("contact", caller.id, "e164", True),
        ("contact", quiet.id, "e164", True),
    ]


async def test_main_line_contacts_rank_who_called_from_that_line_last_first() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "main")])
    desk = await add_contact("Desk", [("+1 415 555 0100", "work")], company=acme)
    roamer = await add_contact(
        "Roamer", [("+1 415 555 0100", "work"), ("+1 415 555 0177", "mobile")], company=acme
    )
    await add_call(desk, T0, line="+14155550100")
    await add_call(roamer, T0 + timedelta(hours=1), line="+14155550177")  # from the mobile
    await add_call(roamer, T0 - timedelta(hours=1), line="+14155550100")
    matches = await service().find("+1 415 555 0100")
    assert who(matches)[1:] == [
        ("contact", desk.id, "e164", True),
        ("contact", roamer.id, "e164", True),
    ]


async def test_a_main_line_nobody_shares_lists_who_called_from_it_last_first() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "main")])
    newest = await add_contact("Newest", [("+1 415 555 0170", "work")], company=acme)
    busy = await add_contact("Busy", [("+1 415 555 0171", "work")], company=acme, updated_at=T0)
    caller = await add_contact("Caller", [("+1 415 555 0172", "work")], company=acme)
    await add_contact("Elsewhere", [("+1 415 555 0173", "work")])
    await add_call(busy, T0 + timedelta(hours=2), line="+14155550171")  # from their own desk
    await add_call(caller, T0, line="+14155550100")  # from the main line
    [match] = await service().find("+1 415 555 0100")
    assert (match.entity, match.main_line, match.shared) == ("company", True, False)
    assert match.company is not None
    staff = await service().line_staff(match.company.id, match.e164, 25)
    assert [c.id for c in staff] == [caller.id, busy.id, newest.id]
    assert [c.id for c in await service().line_staff(match.company.id, match.e164, 2)] == [
        caller.id,
        busy.id,
    ]


async def test_a_logged_call_records_the_line_the_other_party_was_on() -> None:
    activities = ActivityService(DomainConfig(), service())
    cases = [
        ("inbound", "(415) 555-0100", "+1 212 555 0199", "+14155550100"),
        ("outbound", "+1 212 555 0199", "0044 20 7946 0018", "+442079460018"),
        ("inbound", "anonymous", "+1 212 555 0199", None),
        ("outbound", "+1 212 555 0199", None, None),
    ]
    for n, (direction, caller, called, line) in enumerate(cases):
        row, _ = await activities.create(
            ActivityInput(
                call_id=f"call-{n}",
                direction=direction,
                from_number=caller,
                to_number=called,
            )
        )
        assert row.party_e164 == line, (direction, caller, called)
        stored = await Activity.objects().where(Activity.id == row.id).first()
        assert stored is not None
        assert stored.party_e164 == line


async def test_main_line_shared_with_an_outsider_ranks_the_outsider_as_own_contact() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "work")])
    staff = await add_contact("Staff", [("+1 415 555 0100", "work")], company=acme)
    outsider = await add_contact("Outsider", [("+1 415 555 0100", "work")])
    matches = await service().find("+1 415 555 0100")
    assert who(matches) == [
        ("contact", outsider.id, "e164", False),
        ("company", acme.id, "e164", True),
        ("contact", staff.id, "e164", True),
    ]


async def test_company_number_without_staff_on_it_is_no_main_line_unless_marked_main() -> None:
    await add_company("Plain", [("+1 415 555 0100", "work")])
    await add_company("Marked", [("+1 415 555 0199", "main")])
    assert [m.main_line for m in await service().find("+1 415 555 0100")] == [False]
    assert [m.main_line for m in await service().find("+1 415 555 0199")] == [True]


async def test_lookup_with_extension_finds_the_contact_behind_the_main_line_first() -> None:
    acme = await add_company("Acme", [("+1 415 555 0100", "main")])
    ext12 = await add_contact("Twelve", [("+1 415 555 0100 x12", "work")], company=acme)
    ext13 = await add_contact("Thirteen", [("+1 415 555 0100 ext. 13", "work")], company=acme)
    with_ext = await service().find("+1 (415) 555-0100;ext=12")
    assert who(with_ext)[0] == ("contact", ext12.id, "e164", False)
    assert who(with_ext)[1] == ("company", acme.id, "e164", True)
    without = await service().find("+1 (415) 555-0100")
    assert who(without)[0] == ("company", acme.id, "e164", True)
    assert {m.contact.id for m in without[1:] if m.contact} == {ext12.id, ext13.id}


async def test_lookup_with_extension_of_own_number_finds_nothing() -> None:
    await add_contact("Gus", [("+1 415 555 0000", "work")])
    assert await service(own_numbers=("+14155550000",)).find("+1 415 555 0000 x12") == []


async def test_a_contact_with_two_matching_numbers_is_listed_once_by_its_best() -> None:
    ann = await add_contact("Ann", [("555-0100", "home"), ("+1 415 555 0100", "mobile")])
    assert who(await service().find("+14155550100")) == [("contact", ann.id, "e164", False)]


async def test_suffix_setting_longer_than_seven_needs_more_trailing_digits() -> None:
    await add_contact("Ann", [("555-0100", "work")])
    await add_contact("Bob", [("+44 20 7555 0100", "work")])
    assert len(await service().find("+1 415 555 0100")) == 1
    assert await service(lookup_suffix_digits=8).find("+1 415 555 0100") == []
    assert len(await service().find("8 (912) 555 0100")) == 2
    assert len(await service(lookup_suffix_digits=8).find("8 912 7555 0100")) == 1


async def test_changes_to_numbers_and_contacts_are_visible_at_the_next_lookup() -> None:
    lookup = service()
    ann = await add_contact("Ann", [("+1 415 555 0100", "work")])
    assert who(await lookup.find("+14155550100")) == [("contact", ann.id, "e164", False)]

    new = normalize("+1 415 555 0199", "US")
    await PhoneNumber.update(
        {
            PhoneNumber.number: new.raw,
            PhoneNumber.e164: new.e164,
            PhoneNumber.national: new.national,
            PhoneNumber.suffix: new.suffix,
        }
    ).where(PhoneNumber.contact == ann.id)
    assert await lookup.find("+14155550100") == []
    assert who(await lookup.find("+14155550199")) == [("contact", ann.id, "e164", False)]

    await Contact.update({Contact.first_name: "Annie"}).where(Contact.id == ann.id)
    matches = await lookup.find("+14155550199")
    assert matches[0].contact is not None
    assert matches[0].contact.first_name == "Annie"

    await Contact.delete().where(Contact.id == ann.id)
    assert await lookup.find("+14155550199") == []
