"""Call activities: one log per call, however often and in whatever order it is reported.

`call_id` is the idempotency key: a repeated create returns the first activity,
filling in what it lacked. Status changes follow `crm.domain.call_status`; the
other fields (end time, duration, subject, comment) may arrive before or after
the status and give the same result either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm.domain.call_status import ActivityStatus, CallDirection, Move, judge_move
from crm.domain.config import DomainConfig
from crm.domain.errors import Conflict, ValidationFailed
from crm.domain.events import CallEventType, EventBus, InProcessBus, call_event
from crm.domain.lookup import LookupService
from crm.domain.pagination import Page, page_of, page_request
from crm.domain.phone_normalization import normalize
from crm.domain.references import existing_company, existing_user
from crm.domain.unset import UNSET, Maybe, is_set
from crm.domain.validation import as_utc, clean_moment, clean_text, found, not_null, now, parse_id
from crm.domain.webhooks import CALL_EVENT_TYPES, OutboundEvent, Outbox, call_data
from crm.queries import activities as queries
from crm.queries import contacts, users
from crm.queries.rows import save
from crm.queries.transactions import transaction
from crm.tables import Activity, Contact

MAX_CALL_ID_LENGTH = 128
MAX_NUMBER_LENGTH = 64
MAX_SUBJECT_LENGTH = 255
MAX_COMMENT_LENGTH = 10_000
MAX_DURATION_S = 7 * 24 * 3600
"""No call lasts a week; a larger duration is a unit mistake (milliseconds). Calls are
refused when they would last longer, and a length read back is never longer, so every
length fits GraphQL's `Int`."""


class CallerMatch(StrEnum):
    """How a call came to name its contact or company."""

    CONTACT_NUMBER = "contact_number"
    """The other party's number is one of the contact's own numbers."""
    MAIN_LINE = "main_line"
    """The other party's number is a company's main line: the company, not who in it."""
    LINKED = "linked"
    """The contact was named with the call, or linked to it afterwards."""


@dataclass(frozen=True, slots=True)
class ActivityInput:
    """Fields of a call; on update, `UNSET` leaves a field as it is."""

    call_id: Maybe[str] = UNSET
    direction: Maybe[str | CallDirection] = UNSET
    status: Maybe[str | ActivityStatus | None] = UNSET
    from_number: Maybe[str | None] = UNSET
    to_number: Maybe[str | None] = UNSET
    user_id: Maybe[str | uuid.UUID | None] = UNSET
    contact_id: Maybe[str | uuid.UUID | None] = UNSET
    company_id: Maybe[str | uuid.UUID | None] = UNSET
    subject: Maybe[str | None] = UNSET
    comment: Maybe[str | None] = UNSET
    started_at: Maybe[datetime | None] = UNSET
    ended_at: Maybe[datetime | None] = UNSET
    duration: Maybe[int | None] = UNSET


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """Which activities to list; every condition given must hold."""

    contact_id: str | uuid.UUID | None = None
    user_id: str | uuid.UUID | None = None
    status: str | ActivityStatus | None = None
    direction: str | CallDirection | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    unassigned: bool | None = None
    """`True`: only calls linked to no contact; `False`: only linked ones."""


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Seconds from `start` to `end`; `None` when one is unknown, or when the span is longer
    than any call (a row written before calls were bounded, or a status that arrived days
    after the call started): such a length is not known, and would not fit an `Int`."""
    if start is None or end is None:
        return None
    return _plausible(max(0, round((end - start).total_seconds())))


def _plausible(seconds: int) -> int | None:
    return seconds if seconds <= MAX_DURATION_S else None


def duration_of(row: Activity) -> int | None:
    """Seconds from start to end: as the phone system reported, else derived from the times."""
    if row.duration is not None:
        return _plausible(int(row.duration))
    return _seconds(row.started_at, row.ended_at)


def ring_duration_of(row: Activity) -> int | None:
    """Seconds the call rang: until answered, or until it ended unanswered."""
    return _seconds(row.started_at, row.answered_at or row.ended_at)


def talk_duration_of(row: Activity) -> int | None:
    """Seconds of conversation: 0 for a call that ended unanswered, unknown while it lasts."""
    if row.answered_at is not None:
        return _seconds(row.answered_at, row.ended_at)
    status = ActivityStatus(row.status)
    if status.is_final and status != ActivityStatus.COMPLETED:
        return 0
    return None  # a completed call whose answer time never arrived: not known


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a call's events are told from: its status and contact before a change."""

    status: str
    contact: uuid.UUID | None


def _seen(row: Activity) -> _Seen:
    return _Seen(row.status, row.contact)


def changes(before: _Seen | None, row: Activity) -> list[CallEventType]:
    """The events a change of a call states, in order; `before` is `None` for a new call."""
    kinds: list[CallEventType] = []
    if before is None:
        kinds.append(CallEventType.STARTED)
        before = _Seen(ActivityStatus.RINGING.value, row.contact)
    status = ActivityStatus(row.status)
    if status != ActivityStatus(before.status):
        if status == ActivityStatus.ANSWERED:
            kinds.append(CallEventType.ANSWERED)
        elif status.is_final:
            kinds.append(CallEventType.ENDED)
    if row.contact is not None and row.contact != before.contact:
        kinds.append(CallEventType.ASSIGNED)
    return kinds


class ActivityService:
    """Log calls, move them through their statuses, link them to people, list them.

    Each change is announced on the event bus once it has committed (`changes`), and
    written to the webhook outbox inside its transaction (`_record`).
    """

    def __init__(
        self,
        config: DomainConfig,
        lookup: LookupService,
        events: EventBus | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self._config = config
        self._lookup = lookup
        self._events: EventBus = events or InProcessBus()
        self._outbox = outbox or Outbox()

    async def _record(self, row: Activity, kinds: list[CallEventType]) -> None:
        """Write the webhooks of what changed; called inside the change's transaction."""
        data = call_data(row)
        await self._outbox.record(
            [OutboundEvent(CALL_EVENT_TYPES[kind], str(row.id), data) for kind in kinds]
        )

    async def _announce(self, row: Activity, kinds: list[CallEventType]) -> None:
        """Publish what changed; called after the change's transaction has committed."""
        for kind in kinds:
            await self._events.publish(call_event(kind, row.id, row.user))

    async def get(self, activity_id: str | uuid.UUID) -> Activity:
        row = await queries.by_id(parse_id(activity_id, entity="activity"))
        return found(row, activity_id, entity="activity")

    async def get_many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Activity]:
        """Activities by id, for DataLoaders; an empty list costs no query."""
        return await queries.by_ids(ids)

    async def list(
        self,
        filter: ActivityFilter | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Activity]:
        """Activities newest first (by start time, then id), filtered and paged."""
        f = filter or ActivityFilter()
        request = page_request(limit, cursor, self._config)
        return await queries.page(
            request,
            contact=None if f.contact_id is None else parse_id(f.contact_id, field="contact_id"),
            user=None if f.user_id is None else parse_id(f.user_id, field="user_id"),
            status=None if f.status is None else ActivityStatus.parse(f.status).value,
            direction=None if f.direction is None else CallDirection.parse(f.direction).value,
            started_after=_bound(f.started_after, field="started_after"),
            started_before=_bound(f.started_before, field="started_before"),
            unassigned=f.unassigned,
        )

    async def pages_by_contact(
        self,
        contact_ids: Sequence[uuid.UUID],
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[uuid.UUID, Page[Activity]]:
        """One page of calls, newest first, for each contact; the same two queries whatever
        the number of contacts."""
        request = page_request(limit, cursor, self._config)
        rows_of = await queries.first_of_contacts(contact_ids, request)
        return {
            cid: page_of(rows, request.limit, queries.cursor_of) for cid, rows in rows_of.items()
        }

    async def create(self, data: ActivityInput) -> tuple[Activity, bool]:
        """Log a call, or return the one already logged under its `call_id` (then `False`).

        A repeated create fills in the fields the first one lacked and moves the
        status forward when that is a legal move; it never fails on the status.
        """
        if not is_set(data.call_id):
            raise ValidationFailed("is required", field="call_id")
        call_id = clean_text(
            data.call_id, field="call_id", max_length=MAX_CALL_ID_LENGTH, required=True
        )
        if not is_set(data.direction) or data.direction is None:
            raise ValidationFailed("is required", field="direction")
        row = Activity(
            call_id=call_id,
            direction=CallDirection.parse(data.direction).value,
            status=ActivityStatus.RINGING.value,
            started_at=now(),
        )
        await self._fill(row, data, only_missing=False)
        await self._resolve_people(row)
        status = _status(data.status)
        if status is not None:
            _move(row, status, at=now(), strict=True)
        async with transaction():
            if await queries.insert_new(row):
                before, created = None, True
            else:
                assert call_id is not None  # required=True
                existing = await queries.by_call_id_locked(call_id)
                assert existing is not None  # the conflict was on this very call_id
                before, created, row = _seen(existing), False, existing
                await self._fill(row, data, only_missing=True)
                await self._resolve_people(row)
                if status is not None:
                    _move(row, status, at=now(), strict=False)
                row.updated_at = now()
                await save(row)
            kinds = changes(before, row)
            await self._record(row, kinds)
        await self._announce(row, kinds)
        return row, created

    async def update(self, activity_id: str | uuid.UUID, data: ActivityInput) -> Activity:
        """Change end time, duration, subject, comment, status, ... in any order."""
        aid = parse_id(activity_id, entity="activity")
        status = _status(data.status)
        async with transaction():
            row = await self._locked(aid)
            before = _seen(row)
            await self._fill(row, data, only_missing=False)
            await self._explain_contact(row)
            if status is not None:
                _move(row, status, at=now(), strict=True)
            row.updated_at = now()
            await save(row)
            kinds = changes(before, row)
            await self._record(row, kinds)
        await self._announce(row, kinds)
        return row

    async def set_status(
        self, activity_id: str | uuid.UUID, status: str | ActivityStatus
    ) -> Activity:
        """Move the call to `status`: forward applies, the same or a lagging one changes nothing."""
        aid = parse_id(activity_id, entity="activity")
        target = ActivityStatus.parse(status)
        async with transaction():
            row = await self._locked(aid)
            before = _seen(row)
            if _move(row, target, at=now(), strict=True):
                row.updated_at = now()
                await save(row)
            kinds = changes(before, row)
            await self._record(row, kinds)
        await self._announce(row, kinds)
        return row

    async def assign(self, activity_id: str | uuid.UUID, contact_id: str | uuid.UUID) -> Activity:
        """Link the call to a contact, and to the contact's company when it has one."""
        aid = parse_id(activity_id, entity="activity")
        contact = await _contact(contact_id, field="contact_id")
        async with transaction():
            row = await self._locked(aid)
            before = _seen(row)
            if row.contact != contact.id:
                row.contact, row.caller_match = contact.id, None
            if contact.company is not None:
                row.company = contact.company
            await self._explain_contact(row)
            row.updated_at = now()
            await save(row)
            kinds = changes(before, row)
            await self._record(row, kinds)
        await self._announce(row, kinds)
        return row

    async def _locked(self, aid: uuid.UUID) -> Activity:
        return found(await queries.by_id(aid, lock=True), aid, entity="activity")

    async def _fill(self, row: Activity, data: ActivityInput, *, only_missing: bool) -> None:
        """Copy the given fields onto `row` (only into empty ones with `only_missing`)."""

        def keep(current: object) -> bool:
            return only_missing and current is not None

        # Checked even where a repeated create keeps the first value: bad input is refused.
        started_at = _moment(data.started_at, field="started_at")
        ended_at = (
            clean_moment(data.ended_at, field="ended_at")
            if is_set(data.ended_at) and data.ended_at is not None
            else data.ended_at
        )

        if is_set(data.from_number) and not keep(row.from_number):
            row.from_number = _number(data.from_number, field="from_number")
        if is_set(data.to_number) and not keep(row.to_number):
            row.to_number = _number(data.to_number, field="to_number")
        if is_set(data.subject) and not keep(row.subject):
            row.subject = clean_text(data.subject, field="subject", max_length=MAX_SUBJECT_LENGTH)
        if is_set(data.comment) and not keep(row.comment):
            row.comment = clean_text(data.comment, field="comment", max_length=MAX_COMMENT_LENGTH)
        if is_set(data.user_id) and not keep(row.user):
            row.user = await existing_user(data.user_id, field="user_id")
        if is_set(data.company_id) and not keep(row.company):
            row.company = await existing_company(data.company_id)
        if is_set(data.contact_id) and not keep(row.contact):
            contact = (
                await _contact(data.contact_id, field="contact_id") if data.contact_id else None
            )
            if row.contact != (contact.id if contact else None):
                row.caller_match = None  # told again by `_explain_contact`
            row.contact = contact.id if contact else None
            if contact is not None and contact.company is not None and row.company is None:
                row.company = contact.company
        if started_at is not None and not only_missing:
            row.started_at = started_at
        if is_set(ended_at) and not keep(row.ended_at):
            # A reported end time beats the time an end status happened to arrive.
            row.ended_at = ended_at
        if is_set(data.duration) and not keep(row.duration):
            if data.duration is not None and not 0 <= data.duration <= MAX_DURATION_S:
                raise ValidationFailed(
                    f"must be between 0 and {MAX_DURATION_S} seconds", field="duration"
                )
            row.duration = data.duration
        if row.ended_at is not None:
            field = "ended_at" if is_set(data.ended_at) else "started_at"
            if row.ended_at < row.started_at:
                raise ValidationFailed("is before the call started", field="ended_at")
            if (row.ended_at - row.started_at).total_seconds() > MAX_DURATION_S:
                raise ValidationFailed(
                    f"the call would last longer than {MAX_DURATION_S // 86_400} days",
                    field=field,
                )
        row.party_e164 = party_e164(
            row.direction, row.from_number, row.to_number, self._config.default_region
        )

    async def _resolve_people(self, row: Activity) -> None:
        """Fill in who was on the call when the report did not say.

        The agent from the Ringotel side of the call (inbound: `to`; outbound:
        `from`); the contact from the other party's number.
        """
        ours, theirs = call_sides(row.direction, row.from_number, row.to_number)
        if row.user is None:
            row.user = await self._user_by_number(ours)
        if row.contact is None:
            await self._identify_caller(row, theirs)
        await self._explain_contact(row)

    async def _explain_contact(self, row: Activity) -> None:
        """Say how a contact named with the call, or linked to it later, relates to the
        caller's number: one of the contact's own, their company's main line, or neither."""
        if row.contact is None or row.caller_match is not None:
            return
        _, theirs = call_sides(row.direction, row.from_number, row.to_number)
        row.caller_match = CallerMatch.LINKED.value
        if not theirs:
            return
        try:
            matches = await self._lookup.find(theirs)
        except ValidationFailed:
            return
        for match in matches:
            if match.match == "suffix":
                continue
            contact = match.contact if match.entity == "contact" else None
            if contact is not None and contact.id == row.contact:
                kind = CallerMatch.MAIN_LINE if match.main_line else CallerMatch.CONTACT_NUMBER
                row.caller_match = kind.value
                return
            if match.main_line and match.company is not None and match.company.id == row.company:
                row.caller_match = CallerMatch.MAIN_LINE.value  # the line of the contact's company

    async def _identify_caller(self, row: Activity, number: str | None) -> None:
        """Link the call to the one contact, or the one main-line company, the number is.

        Several candidates, or only a weak match on trailing digits, leave it
        unassigned for a person to decide.
        """
        if not number:
            return
        try:
            matches = await self._lookup.find(number)
        except ValidationFailed:
            return  # `anonymous`, `unknown`: not a number, nobody to find
        strong = [m for m in matches if m.match != "suffix"]
        if len(strong) != len(matches):
            return
        own = [m for m in strong if m.entity == "contact" and not m.main_line]
        lines = [m for m in strong if m.entity == "company"]
        if len(own) == 1 and not lines and own[0].contact is not None:
            row.contact = own[0].contact.id
            row.company = row.company or own[0].contact.company
            row.caller_match = CallerMatch.CONTACT_NUMBER.value
            return
        line = lines[0] if not own and len(lines) == 1 and lines[0].main_line else None
        if line is not None and line.company is not None and row.company in (None, line.company.id):
            row.company = line.company.id
            row.caller_match = CallerMatch.MAIN_LINE.value

    async def _user_by_number(self, number: str | None) -> uuid.UUID | None:
        """The one active user whose extension or phone is `number`; `None` when not exactly one."""
        if not number:
            return None
        digits = "".join(ch for ch in number if ch.isdigit())
        if digits and digits == number.strip() and len(digits) <= 16:
            by_extension = await users.active_ids_by_extension(digits)
            if len(by_extension) == 1:
                return by_extension[0]
        try:
            e164 = normalize(number, self._config.default_region).e164
        except ValidationFailed:
            return None
        if e164 is None:
            return None
        by_phone = await users.active_ids_by_phone(e164)
        return by_phone[0] if len(by_phone) == 1 else None

    async def end(self, data: ActivityInput) -> tuple[Activity, bool]:
        """Log the end of the call `data.call_id` names, with its final status.

        A call whose start was never logged is logged whole (then `True`); one already
        logged gets the fields it lacked and moves to the final status when that is a
        legal move, as a repeated `create` does, so an end reported twice, or by two
        integrations, is one end.
        """
        status = _status(data.status)
        if status is None or not status.is_final:
            raise ValidationFailed("must be a final status to end a call", field="status")
        return await self.create(data)


def _move(row: Activity, target: ActivityStatus, *, at: datetime, strict: bool) -> bool:
    """Apply a status change to `row` with its time; whether anything changed.

    `strict=False` (a repeated create) ignores an illegal change instead of raising.
    """
    try:
        move = judge_move(ActivityStatus(row.status), target)
    except Conflict:
        if strict:
            raise
        return False
    if move is not Move.APPLY:
        return False
    row.status = target.value
    moment = max(at, as_utc(row.started_at))
    if target == ActivityStatus.ANSWERED and row.answered_at is None:
        row.answered_at = moment
    if target.is_final and row.ended_at is None:
        row.ended_at = moment
    return True


def _status(value: Maybe[str | ActivityStatus | None]) -> ActivityStatus | None:
    if not is_set(value):
        return None
    return ActivityStatus.parse(not_null(value, field="status"))


def _bound(value: datetime | None, *, field: str) -> datetime | None:
    """A bound of a filter on the start time, checked; `None` for no bound."""
    return None if value is None else clean_moment(value, field=field)


def _moment(value: Maybe[datetime | None], *, field: str) -> datetime | None:
    """A given time that cannot be cleared (the start), checked; `None` when left out."""
    if not is_set(value):
        return None
    return clean_moment(not_null(value, field=field), field=field)


def call_sides(
    direction: str, from_number: str | None, to_number: str | None
) -> tuple[str | None, str | None]:
    """(ours, theirs): the Ringotel side's number and the other party's, as reported;
    the other party is the caller of an inbound call and the one called on an outbound."""
    if direction == CallDirection.INBOUND:
        return to_number, from_number
    return from_number, to_number


def party_e164(
    direction: str, from_number: str | None, to_number: str | None, default_region: str
) -> str | None:
    """The other party's number in E.164; `None` when it is withheld or its country
    cannot be told."""
    _, number = call_sides(direction, from_number, to_number)
    if not number:
        return None
    try:
        return normalize(number, default_region, field="number").e164
    except ValidationFailed:
        return None


def _number(value: str | None, *, field: str) -> str | None:
    """A number as the phone system wrote it: kept as text, since it may be `anonymous`."""
    return clean_text(value, field=field, max_length=MAX_NUMBER_LENGTH)


async def _contact(value: str | uuid.UUID, *, field: str) -> Contact:
    cid = parse_id(value, field=field, entity="contact")
    return found(await contacts.by_id(cid), value, entity="contact", field=field)
