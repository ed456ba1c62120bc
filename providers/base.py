"""The two roles every provider plays: a calendar to read and a mailbox to draft into.

Providers translate their API into these types and their faults into the errors of
`afterword.daemon.errors` (TransientError, AuthExpired, SyncTokenExpired, ProviderError),
mapping HTTP statuses in one place each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from afterword.daemon.errors import ProviderError, TransientError
from afterword.daemon.model import CalendarEvent
from afterword.providers.series import SeriesGuard, SkippedSeries

# What the application may use of the shared event checks (it sees providers only
# through this module and the registry).
__all__ = ["SeriesGuard", "SkippedSeries"]

if TYPE_CHECKING:
    from afterword.daemon.config import AccountConfig


class NotFound(ProviderError):
    """The resource does not exist (any more): the caller decides what that means."""

    def __init__(self, message: str, status: int = 404, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MaybeApplied(TransientError):
    """A write may or may not have happened (timeout, dropped connection, 5xx, garbled
    answer): look for it before trying again, never blindly re-send."""


@dataclass(frozen=True)
class Window:
    """The span of time whose events matter: [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether an event from `start` to `end` falls (partly) in the window."""
        return start < self.end and end > self.start


@dataclass(frozen=True)
class ChangeSet:
    """What changed in a calendar since the last cursor.

    With `full` set, `events` is everything in the window and any event known before
    but absent now is gone. Otherwise `events` are upserts and `removed` lists the ids of
    events deleted, cancelled or moved out of the window. `warnings` are problems that did
    not stop the read (a skipped unreadable event or file): the user must hear of them.
    """

    events: tuple[CalendarEvent, ...]
    cursor: str | None
    full: bool
    removed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Series the provider refused to expand or keep (providers/series.py): the cycle
    # remembers them, warns once, and never plans their occurrences.
    skipped: tuple[SkippedSeries, ...] = ()


@dataclass(frozen=True)
class Lookup:
    """What a calendar says about one event id, cancelled events included (for `explain`).

    `event` is None when the calendar keeps only a tombstone of a cancelled event (Google
    guarantees nothing but the id of a deleted one).
    """

    event_id: str
    event: CalendarEvent | None
    cancelled: bool = False


class CalendarSource(ABC):
    """A calendar (or several) of one account, read incrementally."""

    @abstractmethod
    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """Events changed since `cursor` (None: a full read of `window`).

        An idle call (nothing changed) should cost about one small request per calendar.
        :raises SyncTokenExpired: never — providers fall back to a full read themselves.
        :raises TransientError, AuthExpired, ProviderError, InputError:
        """

    @abstractmethod
    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event as it is now, or None if it was deleted or cancelled."""

    def lookup(self, event_id: str) -> Lookup | None:
        """The event as it is now, or what is left of it if cancelled; None if unknown.

        Providers that can see cancelled events override this; the default knows only
        live ones.
        """
        event = self.get_event(event_id)
        return Lookup(event_id, event) if event is not None else None


class MailboxState(StrEnum):
    """Where a draft we made is now."""

    OPEN = "open"  # still in Drafts
    SENT = "sent"
    DISCARDED = "discarded"
    GONE = "gone"  # left Drafts; this provider cannot tell sent from deleted


@dataclass(frozen=True)
class DraftRef:
    """How a provider finds a draft it made."""

    provider_id: str
    thread_id: str | None = None
    # The mailbox's marker of the draft's content (Gmail's message id, Graph's changeKey, a
    # Maildir file's name, size and time): it changes whenever anyone edits the draft.
    version: str | None = None


@dataclass(frozen=True)
class DraftStatus:
    """A draft's state in the mailbox, and when it was sent if known."""

    state: MailboxState
    sent_at: datetime | None = None
    ref: DraftRef | None = None  # set when the provider id changed (e.g. the draft was re-saved)


class DraftMailbox(ABC):
    """A mailbox that Afterword writes drafts into and never sends from."""

    @abstractmethod
    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """Put `message` (which carries the X-Afterword-Key header) into Drafts.

        Must be all-or-nothing: no half-written draft may appear. `send_by` is the note's
        deadline, for mailboxes that can flag a draft with it; it never goes into the mail.
        """

    @abstractmethod
    def find_draft(self, key: str) -> DraftRef | None:
        """The draft stamped with `key`, if one exists (crash recovery before a retry)."""

    @abstractmethod
    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """The state of many drafts (by key) in about one request, whatever their number."""

    def draft_version(self, ref: DraftRef) -> str | None:
        """The draft's content marker as it is now; None if it is no longer in Drafts."""
        raise ProviderError("this mailbox cannot tell whether a draft was edited")

    def replace_draft(self, ref: DraftRef, key: str, message: EmailMessage,
                      send_by: datetime | None = None) -> DraftRef:
        """Replace the draft's content in place, all or nothing (never a second draft for
        `key`); returns the draft's ref with its new version."""
        raise ProviderError("this mailbox cannot replace a draft")

    def cursor(self) -> str | None:
        """What tracking learnt of Drafts, as of the last `draft_states`, for the next
        process to `restore` (opaque text; None: nothing worth keeping)."""
        return None

    def restore(self, cursor: str | None) -> None:
        """Track on from a cursor an earlier process kept (before any other call); one
        that is unreadable or stale only costs a fresh look at Drafts."""
        return None  # this mailbox keeps nothing between processes


class OptionReader(Protocol):
    """One account's TOML table as the config reads it: typed getters that record problems.

    A provider's `read_options` asks it for its own keys; every key not asked for is
    reported as unknown, with a suggestion, after the provider has read its own.
    """

    data: Mapping[str, Any]  # the raw table, to tell "absent" from "default"

    def problem(self, key: str, message: str) -> None:
        """Record a problem with `key` (reported with its dotted path)."""

    def string(self, key: str, default: str, required: bool = False) -> str:
        """A string value."""

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean value."""

    def integer(self, key: str, default: int, minimum: int | None = None) -> int:
        """A whole number, optionally with a lower bound."""

    def strings(self, key: str, default: tuple[str, ...],
                required: bool = False) -> tuple[str, ...]:
        """A list of strings."""

    def choice(self, key: str, options: tuple[str, ...], default: str,
               required: bool = False) -> str:
        """One of a fixed set of strings."""

    def duration(self, key: str, default: timedelta,
                 minimum: timedelta | None = None) -> timedelta:
        """A duration string such as "30m"."""

    def path(self, key: str, required: bool = False) -> Path | None:
        """A filesystem path (~ and $VARS expanded, relative to the config's folder)."""

    def url(self, key: str, default: str, required: bool = False, https: bool = False,
            trailing_slash: bool = False) -> str:
        """An http(s) URL."""


@dataclass(frozen=True)
class ProviderSpec:
    """What the registry knows of a provider before its (heavy) module is imported."""

    name: str
    provider: str  # "module:Class" of the Provider, imported only when an account opens
    read_options: Callable[[OptionReader], object]  # the account's own keys → options
    signs_in: bool = False  # `afterword auth` stores credentials for it
    # Folders outside the state directory that the account writes (the service unit
    # must allow them), from its options.
    writes: Callable[[Any], tuple[Path, ...]] = lambda options: ()


class CredentialStore(Protocol):
    """Where a provider keeps an account's credentials (the keyring or the file backend)."""

    def get(self, account: str) -> str | None:
        """The stored secret for `account`, or None."""

    def set(self, account: str, secret: str) -> None:
        """Store (replace) the secret for `account`."""

    def delete(self, account: str) -> None:
        """Forget the secret for `account`."""


@dataclass(frozen=True)
class ProviderContext:
    """What the application hands a provider: never read from globals."""

    timezone: tzinfo  # the user's zone: for floating times and all-day events
    my_emails: tuple[str, ...]  # the user's addresses (me.emails + the account's own)
    secrets: CredentialStore
    clock: Callable[[], datetime]  # aware UTC "now"
    extra: Mapping[str, object] = field(default_factory=dict)  # test seams (e.g. CA bundle)


@dataclass(frozen=True)
class AuthOptions:
    """How `afterword auth` may interact with the user."""

    open_browser: bool = True
    from_file: str | None = None
    prompt: Callable[[str], str] = input
    say: Callable[[str], None] = print
    port: int = 0  # loopback port for the OAuth redirect (0: any free one)


OptionsT = TypeVar("OptionsT")


class Provider(ABC, Generic[OptionsT]):
    """One configured account: a calendar source, a draft mailbox, and its sign-in."""

    def __init__(self, account: AccountConfig, context: ProviderContext) -> None:
        self.account = account
        self.context = context
        # The provider's own keys, as its SPEC.read_options made them.
        self.options: OptionsT = account.options

    @abstractmethod
    def calendar(self) -> CalendarSource:
        """The account's calendar(s)."""

    @abstractmethod
    def mailbox(self) -> DraftMailbox:
        """The account's mailbox."""

    def address(self) -> str | None:
        """The account's own email address, when it can be known cheaply."""
        return self.account.address or None

    def authorize(self, options: AuthOptions) -> str:
        """Sign in interactively and store the credentials; returns a line for the user."""
        return f"account '{self.account.name}' needs no sign-in"

    def check(self) -> list[str]:
        """Problems with this account that can be found without network (for `check`)."""
        return []
