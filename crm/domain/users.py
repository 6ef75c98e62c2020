"""CRM users: the people Ringotel maps its own users onto."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from crm.domain.config import DomainConfig
from crm.domain.errors import Conflict, ValidationFailed
from crm.domain.events import EventBus, InProcessBus
from crm.domain.pagination import NOT_A_CURSOR, Page, page_request
from crm.domain.passwords import Passwords
from crm.domain.phone_normalization import normalize_stored
from crm.domain.unset import UNSET, Maybe, is_set
from crm.domain.validation import (
    ascii_digits,
    clean_email,
    clean_text,
    found,
    not_null,
    now,
    parse_id,
)
from crm.queries import users as queries
from crm.queries.driver_errors import driver_errors_translated
from crm.queries.rows import save
from crm.queries.transactions import transaction
from crm.tables import User

MAX_EXTENSION_LENGTH = 16
MAX_RINGOTEL_ID_LENGTH = 64


@dataclass(frozen=True, slots=True)
class UserInput:
    """Fields of a user; on update, `UNSET` leaves a field as it is."""

    email: Maybe[str | None] = UNSET
    password: Maybe[str | None] = UNSET
    first_name: Maybe[str | None] = UNSET
    last_name: Maybe[str | None] = UNSET
    phone: Maybe[str | None] = UNSET
    extension: Maybe[str | None] = UNSET
    """Digits only; at most one active user has a given extension."""
    is_active: Maybe[bool | None] = UNSET
    is_admin: Maybe[bool | None] = UNSET
    """`email`, `password`, `is_active` and `is_admin` cannot be cleared: `None` is refused."""


class UserService:
    """Create, change, find and authenticate CRM users."""

    def __init__(
        self, config: DomainConfig, passwords: Passwords, events: EventBus | None = None
    ) -> None:
        self._config = config
        self._passwords = passwords
        self._events: EventBus = events or InProcessBus()

    async def get(self, user_id: str | uuid.UUID) -> User:
        user = await queries.by_id(parse_id(user_id, entity="user"))
        return found(user, user_id, entity="user")

    async def get_many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
        """Users by id, for DataLoaders; an empty list costs no query."""
        return await queries.by_ids(ids)

    async def by_email(self, email: str) -> User | None:
        """The user with this address (in any of its forms); `None` for no address at all."""
        try:
            cleaned = clean_email(email)
        except ValidationFailed:
            return None  # no user has an address that could not be stored
        if cleaned is None:
            return None
        return await queries.by_email(cleaned)

    async def list(
        self,
        *,
        active: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[User]:
        """Users ordered by id, optionally only the active (or inactive) ones."""
        request = page_request(limit, cursor, self._config)
        after_id = None
        if request.after is not None:
            try:
                after_id = uuid.UUID(request.after[1])
            except ValueError:
                raise ValidationFailed(NOT_A_CURSOR, field="cursor") from None
        return await queries.page(request, after_id, active=active)

    async def create(self, data: UserInput) -> User:
        if not is_set(data.email):
            raise ValidationFailed("is required", field="email")
        if not is_set(data.password):
            raise ValidationFailed("is required", field="password")
        user = User()
        self._apply(user, data)
        user.password_hash = await self._passwords.hash(not_null(data.password, field="password"))
        await self._refuse_duplicates(user, None)
        await self._save(user, None)
        return user

    async def update(self, user_id: str | uuid.UUID, data: UserInput) -> User:
        user = await self.get(user_id)
        self._apply(user, data)
        if is_set(data.password):
            user.password_hash = await self._passwords.hash(
                not_null(data.password, field="password")
            )
        await self._refuse_duplicates(user, user.id)
        user.updated_at = now()
        await self._save(user, user.id)
        # Its sessions and tokens follow it (deactivated, another role): sockets recheck.
        await self._events.credentials_changed()
        return user

    async def _save(self, user: User, own_id: uuid.UUID | None) -> None:
        """Write the user; a duplicate another write stored between check and save is
        refused as the check refuses it, naming the field."""
        try:
            with driver_errors_translated():
                await save(user)
        except Conflict:
            await self._refuse_duplicates(user, own_id)
            raise

    async def _refuse_duplicates(self, user: User, own_id: uuid.UUID | None) -> None:
        """CONFLICT naming the field when another user has this email, or (both active)
        this extension: calls to a shared extension could not tell whose they are."""
        if await queries.email_taken(user.email, other_than=own_id):
            raise Conflict(f"a user with email {user.email} exists", field="email")
        if (
            user.extension is not None
            and user.is_active
            and await queries.extension_taken(user.extension, other_than=own_id)
        ):
            raise Conflict(
                f"an active user already has extension {user.extension}", field="extension"
            )

    async def agent_of_call(
        self, extension: str | None, ringotel_user_id: str | None
    ) -> User | None:
        """The active user on a Ringotel call: the one with the call's extension, else the
        one Ringotel's user id was remembered on; `None` when it is not exactly one."""
        found: list[User] = []
        if extension and ascii_digits(extension) and len(extension) <= MAX_EXTENSION_LENGTH:
            found = await queries.active_by_extension(extension)
        if len(found) != 1 and ringotel_user_id:
            found = await queries.active_by_ringotel_id(ringotel_user_id)
        return found[0] if len(found) == 1 else None

    async def remember_ringotel_id(self, user: User, ringotel_user_id: str) -> None:
        """Remember Ringotel's id of `user`, so its calls find it when the extension does
        not; a user who had it before gives it up (Ringotel's user has moved)."""
        if user.ringotel_user_id == ringotel_user_id:
            return  # the common case: nothing to write
        async with transaction():
            await queries.move_ringotel_id(user.id, ringotel_user_id, now())
        user.ringotel_user_id = ringotel_user_id

    async def authenticate(self, email: str, password: str) -> User | None:
        """The active user with these credentials, or `None`; the same work either way."""
        try:
            user = await self.by_email(email) if "@" in email else None
        except ValidationFailed:
            user = None  # not an e-mail address: no one, and the same work as for no one
        # No user: the same cost as a real check (a dummy hash), so no timing oracle.
        matched = await self._passwords.verify(user.password_hash if user else None, password)
        if user is None or not matched or not user.is_active:
            return None
        return user

    def _apply(self, user: User, data: UserInput) -> None:
        if is_set(data.email):
            user.email = clean_email(data.email, required=True)
        if is_set(data.first_name):
            user.first_name = clean_text(data.first_name, field="first_name", max_length=100) or ""
        if is_set(data.last_name):
            user.last_name = clean_text(data.last_name, field="last_name", max_length=100) or ""
        if is_set(data.phone):
            phone = clean_text(data.phone, field="phone", max_length=64)
            user.phone = phone
            user.phone_e164 = (
                normalize_stored(phone, self._config.default_region, field="phone").e164
                if phone
                else None
            )
        if is_set(data.extension):
            ext = clean_text(data.extension, field="extension", max_length=MAX_EXTENSION_LENGTH)
            if ext is not None and not ascii_digits(ext):
                raise ValidationFailed("must be digits 0-9 only", field="extension")
            user.extension = ext
        if is_set(data.is_active):
            user.is_active = not_null(data.is_active, field="is_active")
        if is_set(data.is_admin):
            user.is_admin = not_null(data.is_admin, field="is_admin")


def sign_in_subject(email: str) -> str:
    """The account a sign-in names, as users are found by it (and failures are counted):
    the cleaned e-mail, or the lowercased text when it is no e-mail address at all."""
    try:
        return clean_email(email) or ""
    except ValidationFailed:
        return email.strip().lower()
