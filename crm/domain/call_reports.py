"""Ringotel's webhook events about a call: the same activity the JSON framework's hooks log.

Ringotel reports a call twice over when both its integrations are on: the webhook's
`StartCallActivity` and `StopCallActivity`, and the JSON framework's CreateActivity and
UpdateActivity. Each event is logged through `ActivityService`, keyed by `call_id`, so
whichever arrives first creates the activity and the others fill in what it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from crm.domain.activities import MAX_DURATION_S, ActivityInput, ActivityService
from crm.domain.call_status import ended_status
from crm.domain.unset import UNSET, Maybe
from crm.domain.users import MAX_RINGOTEL_ID_LENGTH, UserService
from crm.domain.validation import clean_text
from crm.tables import Activity, User


@dataclass(frozen=True, slots=True)
class CallReport:
    """What one webhook event says about a call (`None`: not said)."""

    call_id: str | None
    direction: str | None
    from_number: str | None = None
    to_number: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = None
    end_cause: str | None = None
    """Why the call ended, in the phone system's words; an unanswered call's status."""
    extension: str | None = None
    """The extension of the Ringotel user on the call: finds the agent."""
    ringotel_user_id: str | None = None
    """Ringotel's id of that user, remembered on the agent."""


T = TypeVar("T")


def _given(value: T | None) -> Maybe[T]:
    """An absent value leaves the activity's field as it is."""
    return UNSET if value is None else value


class CallReportService:
    """Log Ringotel's start and end events of a call, with its agent."""

    def __init__(self, activities: ActivityService, users: UserService) -> None:
        self._activities = activities
        self._users = users

    async def start(self, event: CallReport) -> tuple[Activity, bool]:
        """Log a call that started; `True` when no report of it had been logged before."""
        agent, ringotel_id = await self._agent(event)
        row, created = await self._activities.create(self._input(event, agent))
        await self._remember(agent, ringotel_id)
        return row, created

    async def stop(self, event: CallReport) -> tuple[Activity, bool]:
        """Log a call that ended, in the status its length and cause give it; a call
        whose start was never reported is logged whole (then `True`)."""
        agent, ringotel_id = await self._agent(event)
        started_at = event.started_at
        if started_at is None and event.ended_at is not None:
            # Only the end was told: the call began its length before it (a length no
            # call has is left for the activity to refuse, naming it).
            length = event.duration or 0
            started_at = event.ended_at - timedelta(seconds=min(length, MAX_DURATION_S))
        data = replace(
            self._input(event, agent),
            started_at=_given(started_at),
            ended_at=_given(event.ended_at),
            duration=_given(event.duration),
            status=ended_status(event.duration, event.end_cause),
        )
        row, created = await self._activities.end(data)
        await self._remember(agent, ringotel_id)
        return row, created

    async def _agent(self, event: CallReport) -> tuple[User | None, str | None]:
        """The agent, and Ringotel's id of it as sent (checked before anything is written)."""
        ringotel_id = clean_text(
            event.ringotel_user_id, field="ringotel_user_id", max_length=MAX_RINGOTEL_ID_LENGTH
        )
        return await self._users.agent_of_call(event.extension, ringotel_id), ringotel_id

    async def _remember(self, agent: User | None, ringotel_id: str | None) -> None:
        """Remember Ringotel's id on the agent once the call is logged: a refused call
        leaves nothing written."""
        if agent is not None and ringotel_id is not None:
            await self._users.remember_ringotel_id(agent, ringotel_id)

    @staticmethod
    def _input(event: CallReport, agent: User | None) -> ActivityInput:
        """The call's fields both events carry; the agent when the extension found one
        (else the activity finds it from the numbers, as for any call)."""
        return ActivityInput(
            call_id=_given(event.call_id),
            direction=_given(event.direction),
            from_number=_given(event.from_number),
            to_number=_given(event.to_number),
            started_at=_given(event.started_at),
            user_id=UNSET if agent is None else agent.id,
        )
