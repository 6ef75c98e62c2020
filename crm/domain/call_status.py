"""Call directions and statuses, and the state machine a call's status follows.

Phone systems retry and send events out of order, so a status change is judged
against the current status: moving forward applies, repeating is a no-op, a
status the call has already gone past (it "lags") is ignored, and only a change
no real call could make is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum, StrEnum
from typing import TypeVar

from crm.domain.errors import Conflict, ValidationFailed


class CallDirection(StrEnum):
    """Who placed the call, seen from the CRM's side."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"

    @classmethod
    def parse(cls, value: str | CallDirection, *, field: str = "direction") -> CallDirection:
        """`inbound`/`outbound` or a synonym (`in`, `incoming`, `out`, `outgoing`), any case."""
        return _read(value, cls, direction_named, "is not inbound or outbound", field)


class ActivityStatus(StrEnum):
    """Where a call is: ringing, answered (in progress), or one of the final states."""

    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"
    MISSED = "missed"
    BUSY = "busy"
    FAILED = "failed"
    CANCELLED = "cancelled"
    VOICEMAIL = "voicemail"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @classmethod
    def parse(cls, value: str | ActivityStatus, *, field: str = "status") -> ActivityStatus:
        """A status by name or synonym (`in progress`, `no-answer`, `canceled`, ...), any case."""
        names = ", ".join(status.value for status in cls)
        return _read(value, cls, status_named, f"is not a status (one of {names})", field)


# The words phone systems use, as `_letters` reads them; both transports read these.
DIRECTION_SYNONYMS: dict[str, CallDirection] = {
    "inbound": CallDirection.INBOUND,
    "in": CallDirection.INBOUND,
    "incoming": CallDirection.INBOUND,
    "outbound": CallDirection.OUTBOUND,
    "out": CallDirection.OUTBOUND,
    "outgoing": CallDirection.OUTBOUND,
}
STATUS_SYNONYMS: dict[str, ActivityStatus] = {
    **{status.value: status for status in ActivityStatus},
    "ring": ActivityStatus.RINGING,
    "alerting": ActivityStatus.RINGING,
    "answer": ActivityStatus.ANSWERED,
    "connected": ActivityStatus.ANSWERED,
    "inprogress": ActivityStatus.ANSWERED,
    "complete": ActivityStatus.COMPLETED,
    "ended": ActivityStatus.COMPLETED,
    "finished": ActivityStatus.COMPLETED,
    "done": ActivityStatus.COMPLETED,
    "noanswer": ActivityStatus.MISSED,
    "unanswered": ActivityStatus.MISSED,
    "failure": ActivityStatus.FAILED,
    "error": ActivityStatus.FAILED,
    "canceled": ActivityStatus.CANCELLED,
    "abandoned": ActivityStatus.CANCELLED,
}


E = TypeVar("E", CallDirection, ActivityStatus)


def _read(
    value: str | E, kind: type[E], named: Callable[[str], E | None], refusal: str, field: str
) -> E:
    """`value` as a member of `kind`, read by `named`; `ValidationFailed` saying `refusal`
    when it names none."""
    if isinstance(value, kind):
        return value
    found = named(value)
    if found is None:
        raise ValidationFailed(f"{value!r} {refusal}", field=field)
    return found


def _letters(text: str) -> str:
    """Lowercase letters only, so `No-Answer`, `no_answer` and `NOANSWER` read the same."""
    return re.sub(r"[^a-z]", "", text.lower())


def direction_named(text: str) -> CallDirection | None:
    """The direction `text` names, by any of its synonyms; `None` when it names none."""
    return DIRECTION_SYNONYMS.get(_letters(text))


def status_named(text: str) -> ActivityStatus | None:
    """The status `text` names, by any of its synonyms; `None` when it names none."""
    return STATUS_SYNONYMS.get(_letters(text))


def ended_status(duration: int | None, cause: str | None) -> ActivityStatus:
    """The final status of a call its phone system reports only as ended: `completed` when
    it was talked (a duration over 0); else the unanswered end its cause names (`busy`,
    `cancelled`, `no-answer`, ...); else `missed`, the status of a call nobody answered."""
    if duration:
        return ActivityStatus.COMPLETED
    named = status_named(cause) if cause else None
    if named is not None and named.is_final and named != ActivityStatus.COMPLETED:
        return named
    return ActivityStatus.MISSED


FINAL_STATUSES = frozenset(
    {
        ActivityStatus.COMPLETED,
        ActivityStatus.MISSED,
        ActivityStatus.BUSY,
        ActivityStatus.FAILED,
        ActivityStatus.CANCELLED,
        ActivityStatus.VOICEMAIL,
    }
)

NEXT_STATUSES: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    # `completed` straight from ringing: the answered event may have been lost.
    ActivityStatus.RINGING: frozenset({ActivityStatus.ANSWERED, *FINAL_STATUSES}),
    # An answered call ends normally or breaks; it cannot become missed or busy.
    ActivityStatus.ANSWERED: frozenset({ActivityStatus.COMPLETED, ActivityStatus.FAILED}),
    **{status: frozenset() for status in FINAL_STATUSES},
}
"""The legal moves of the state machine; final states have none."""


class Move(Enum):
    """What a requested status does to the current one."""

    APPLY = "apply"
    SAME = "same"
    LAGGING = "lagging"


def _reachable(start: ActivityStatus, goal: ActivityStatus) -> bool:
    frontier = set(NEXT_STATUSES[start])
    seen: set[ActivityStatus] = set()
    while frontier:
        status = frontier.pop()
        if status == goal:
            return True
        seen.add(status)
        frontier |= NEXT_STATUSES[status] - seen
    return False


def judge_move(current: ActivityStatus, requested: ActivityStatus) -> Move:
    """Judge a status change; a change no call could make raises `Conflict` naming both."""
    if requested == current:
        return Move.SAME
    if requested in NEXT_STATUSES[current]:
        return Move.APPLY
    if _reachable(requested, current):
        # The call has already been through `requested`: an old event arriving late.
        return Move.LAGGING
    raise Conflict(
        f"cannot change status from {current.value} to {requested.value}",
        field="status",
        current=current.value,
        requested=requested.value,
    )
