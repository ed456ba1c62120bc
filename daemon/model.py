"""Provider-neutral data: calendar events, interviews, interviewers, drafts and their states.

Providers translate their payloads into `CalendarEvent`; everything after that (detection,
extraction, drafting, reminders) works on these types only.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

# Stamped into every draft so it is found again after a crash (see DESIGN.md).
KEY_HEADER = "X-Afterword-Key"


# The span of dates an event may have: far enough inside datetime's range that adding a
# deadline, a delay or a reminder interval can never overflow (an event ending in year
# 9999 made `status` and every daemon pass fail with OverflowError).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


class Response(StrEnum):
    """An attendee's answer to the invitation."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    NEEDS_ACTION = "needs_action"
    ORGANIZER = "organizer"
    DELEGATED = "delegated"  # passed the meeting on (.ics PARTSTAT=DELEGATED / DELEGATED-TO)
    UNKNOWN = "unknown"


class EventStatus(StrEnum):
    """Whether the event is still on."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Attendee:
    """One guest of an event, as the provider lists it."""

    email: str | None
    name: str | None = None
    response: Response = Response.UNKNOWN
    is_self: bool = False
    is_organizer: bool = False
    is_resource: bool = False  # rooms and equipment (Google resource, Graph resource, CUTYPE)
    optional: bool = False
    is_group: bool = False  # a group of people such as a mailing list (.ics CUTYPE=GROUP)


@dataclass(frozen=True)
class CalendarEvent:
    """One occurrence of an event in a calendar (recurring series are expanded)."""

    account: str
    calendar: str
    id: str  # instance-level and stable: recurring occurrences get their own id
    title: str
    start: datetime  # always timezone-aware
    end: datetime
    description: str = ""
    all_day: bool = False
    status: EventStatus = EventStatus.CONFIRMED
    attendees: tuple[Attendee, ...] = ()
    organizer: Attendee | None = None
    my_response: Response = Response.UNKNOWN
    location: str = ""
    video_link: str = ""
    categories: tuple[str, ...] = ()
    color_id: str = ""
    event_type: str = "default"  # default | focusTime | outOfOffice | workingLocation | ...
    private_properties: dict[str, str] = field(default_factory=dict)
    attendees_hidden: bool = False  # the provider cut or hid the guest list
    series_id: str = ""
    ical_uid: str = ""

    def date_problem(self) -> str | None:
        """Why its times cannot be planned with (None if they can): any provider's event
        must pass this before it is planned or stored."""
        start, end = self.start, self.end
        if start.tzinfo is None or end.tzinfo is None:
            return "its times have no time zone"
        # Years well inside the range need no zone arithmetic (this runs for every event
        # of every change set: comparing times in two zones costs microseconds).
        if not EARLIEST.year < start.year <= end.year < LATEST.year - 1 and \
                not (start >= EARLIEST and end < LATEST):
            return f"its dates are out of range ({start:%Y-%m-%d} to {end:%Y-%m-%d})"
        if end < start:
            return f"it ends before it starts ({end.isoformat()} < {start.isoformat()})"
        return None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict that `from_json` reads back."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalendarEvent:
        """Rebuild an event stored with `to_json`."""
        data = dict(data)
        data["start"] = datetime.fromisoformat(data["start"])
        data["end"] = datetime.fromisoformat(data["end"])
        data["status"] = EventStatus(data.get("status", "confirmed"))
        data["my_response"] = Response(data.get("my_response", "unknown"))
        data["attendees"] = tuple(_attendee(a) for a in data.get("attendees", ()))
        data["organizer"] = _attendee(data["organizer"]) if data.get("organizer") else None
        data["categories"] = tuple(data.get("categories", ()))
        return cls(**data)


def _attendee(data: dict[str, Any]) -> Attendee:
    data = dict(data)
    data["response"] = Response(data.get("response", "unknown"))
    return Attendee(**data)


@dataclass(frozen=True)
class Interviewer:
    """Someone who interviewed the user and gets a note (or needs an address first)."""

    name: str  # full display name, as best known
    email: str | None  # None: "address needed"
    first_name: str = ""
    last_name: str = ""
    title: str = ""  # honorific kept for formal salutations: "Dr."
    role: str = ""  # "Engineering Manager", from the invite's description
    needs_check: bool = False  # the name was guessed (e.g. from the address)
    source: str = "attendee"  # attendee | description | manual
    notes: str = ""  # the user's own notes about this person
    problem: str = ""  # why there is no usable address ("not a valid email address: ...")

    @property
    def to_check(self) -> bool:
        """The address comes from the description only, not the guest list: the user
        should check it before sending (status and the draft say so)."""
        return self.source == "description" and self.email is not None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interviewer:
        """Rebuild from `to_json`."""
        return cls(**data)


class InterviewStatus(StrEnum):
    """What Afterword will do about an interview."""

    READY = "ready"  # interviewers known: drafts will be made when it is due
    NAMES_NEEDED = "names_needed"  # no identifiable interviewer: ask the user
    TOO_MANY = "too_many"  # more recipients than recipients.max_per_interview: confirm first
    CANCELLED = "cancelled"  # the event was cancelled or removed


@dataclass(frozen=True)
class Interview:
    """An event recognised as an interview, with who took part and what it was for."""

    account: str
    event_id: str
    title: str
    start: datetime
    end: datetime
    interviewers: tuple[Interviewer, ...]
    status: InterviewStatus = InterviewStatus.READY
    company: str = ""
    role: str = ""
    location: str = ""
    video_link: str = ""
    notes: str = ""  # general notes: the description's "Notes:" section, `afterword note`
    reason: str = ""  # why it was recognised (the detection rule that matched)

    @property
    def has_notes(self) -> bool:
        """The user said something specific about it (for anyone on the panel, or all)."""
        return bool(self.notes) or any(p.notes for p in self.interviewers)


@dataclass(frozen=True)
class UserNote:
    """A note given with `afterword note`: about one interviewer, or the whole interview."""

    who: str  # a name or address as the user gave it; "" for the whole interview
    text: str
    added_at: datetime | None = None


@dataclass(frozen=True)
class TitleFix:
    """The user's correction of what an interview is for (`afterword fix`).

    None keeps what the invite says; "" says there is none ("no role, please").
    """

    company: str | None = None
    role: str | None = None


class DraftState(StrEnum):
    """The lifecycle of one draft: planned → drafted → sent | discarded | gone."""

    PLANNED = "planned"  # intent recorded; the provider call may or may not have happened
    DRAFTED = "drafted"  # in the Drafts folder, provider id known
    SENT = "sent"
    DISCARDED = "discarded"  # the user deleted it
    GONE = "gone"  # left Drafts; the provider cannot tell sent from deleted
    FAILED = "failed"  # the last attempt failed; retried next cycle
    DISMISSED = "dismissed"  # the user said stop (`afterword done`)

    @property
    def is_open(self) -> bool:
        """A draft still waiting for the user to act."""
        return self is DraftState.DRAFTED

    @property
    def is_final(self) -> bool:
        """Nothing more will happen to this draft."""
        return self in (DraftState.SENT, DraftState.DISCARDED, DraftState.GONE,
                        DraftState.DISMISSED)


class DraftKind(StrEnum):
    """What a draft is for."""

    THANKS = "thanks"  # a thank-you note to one interviewer
    ASK_NAMES = "ask_names"  # the one note per interview asking for the interviewers' names


@dataclass(frozen=True)
class DraftKey:
    """The stable identity of one note: account + event instance + recipient address.

    The ask for names is one per interview whoever receives it, so its id leaves the
    recipient out: a changed organizer or job contact never brings a second ask.
    """

    account: str
    event_id: str
    recipient: str
    kind: DraftKind = DraftKind.THANKS

    @property
    def id(self) -> str:
        """A short opaque id, safe in a mail header and easy to type (`afterword done ID`)."""
        who = self.recipient.lower() if self.kind is DraftKind.THANKS else f"\x00{self.kind}"
        raw = "\x00".join((self.account, self.event_id, who))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DraftRecord:
    """What the state database knows about one draft."""

    key: str
    account: str
    event_id: str
    recipient: str
    recipient_name: str
    state: DraftState
    provider_id: str | None = None
    thread_id: str | None = None
    created_at: datetime | None = None  # when the draft appeared in the mailbox
    sent_at: datetime | None = None
    closed_at: datetime | None = None  # when it became sent/discarded/gone/dismissed
    attempts: int = 0
    last_error: str = ""
    snoozed_until: datetime | None = None
    last_reminded_at: datetime | None = None
    reminders_sent: int = 0
    # The mailbox's marker of the draft's content as Afterword last wrote it: when the
    # draft's marker differs now, the user edited it (and `redraft` leaves it alone).
    version: str | None = None
    kind: DraftKind = DraftKind.THANKS


FAR = datetime(9999, 1, 1, tzinfo=UTC)


def later(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at FAR: an interview stored with a far date (year 9999)
    must never make `status`, reminders or the schedule fail with OverflowError."""
    try:
        return min(moment + delta, FAR)
    except OverflowError:
        return FAR
