"""provider = "local": a calendar from .ics files, drafts into a Maildir.

The calendar is an .ics file or a folder of them (vdir style). Drafts go to
`<maildir>/.Drafts/cur/` flagged Draft+Seen, where mutt, neomutt and Dovecot show them
as drafts. A draft that moved to `.Sent` was sent; one gone from both was discarded.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from time import time_ns
from typing import Any

from afterword.daemon.errors import InputError, ProviderError
from afterword.daemon.model import KEY_HEADER, Attendee, CalendarEvent, EventStatus, Response
from afterword.providers.base import (
    CalendarSource,
    ChangeSet,
    DraftMailbox,
    DraftRef,
    DraftStatus,
    Lookup,
    MailboxState,
    Provider,
    Window,
)

log = logging.getLogger(__name__)

_PARTSTAT = {
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
    "TENTATIVE": Response.TENTATIVE,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
}
_VIDEO_URL = re.compile(
    r"https://(?:[\w-]+\.)*(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com|webex\.com|"
    r"whereby\.com|chime\.aws)/[^\s<>\"')]+"
)


class LocalProvider(Provider):
    """An .ics calendar and a Maildir, no account needed."""

    def calendar(self) -> CalendarSource:
        """The .ics file or folder."""
        assert self.account.calendar is not None
        return IcsCalendar(
            self.account.calendar,
            account=self.account.name,
            timezone=self.context.timezone,
            my_emails=self.context.my_emails,
        )

    def mailbox(self) -> DraftMailbox:
        """The Maildir's Drafts folder."""
        assert self.account.maildir is not None
        return MaildirDrafts(self.account.maildir)

    def check(self) -> list[str]:
        """The calendar must exist; the Maildir's parent must be writable."""
        problems = []
        cal = self.account.calendar
        if cal is not None and not cal.exists():
            problems.append(f"calendar not found: {cal}")
        maildir = self.account.maildir
        if maildir is not None:
            existing = next((p for p in (maildir, *maildir.parents) if p.exists()), None)
            if existing is None or not os.access(existing, os.W_OK):
                problems.append(f"maildir is not writable: {maildir}")
        return problems


class IcsCalendar(CalendarSource):
    """Events from one .ics file or every .ics file under a folder."""

    def __init__(self, path: Path, account: str, timezone: tzinfo,
                 my_emails: tuple[str, ...] = (), *, plain_fast_path: bool = True) -> None:
        self.path = path
        self.account = account
        self.timezone = timezone
        self.my_emails = {e.lower() for e in my_emails}
        # False: icalendar reads every event (the tests compare both ways of reading).
        self.plain_fast_path = plain_fast_path
        self._unresolved: dict[str, str] = {}

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.rglob("*.ics") if p.is_file())
        if self.path.is_file():
            return [self.path]
        raise InputError(f"calendar not found: {self.path}")

    def _signature(self, files: list[Path], window: Window) -> str:
        # The window's start (to the hour) is part of the cursor, so events sliding into
        # the window are picked up within the hour even when no file changed.
        digest = hashlib.sha256(window.start.strftime("%Y%m%d%H").encode())
        for path in files:
            st = path.stat()
            digest.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
        return digest.hexdigest()[:32]

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """Everything in the window when a file changed; nothing (a few stat calls) when idle."""
        files = self._files()
        signature = self._signature(files, window)
        if cursor == signature:
            return ChangeSet(events=(), cursor=cursor, full=False)
        read = _Read()
        for path in files:
            try:
                self._read(path, window, read)
            except InputError as err:
                if len(files) == 1:
                    raise  # the calendar itself is unreadable: one clear error
                read.warnings.append(str(err))
        # With part of the calendar unreadable, an interview missing from what was read may
        # only be hidden in that part: report the upserts and cancellations, remove nothing
        # else, until the calendar reads cleanly again.
        # No settled cursor while something is skipped: the next cycle reads (and warns) again.
        return ChangeSet(events=tuple(read.events),
                         cursor=None if read.warnings else signature, full=not read.warnings,
                         removed=tuple(read.cancelled), warnings=tuple(read.warnings))

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event with this id within 400 days of today; None if absent or cancelled."""
        found = self.lookup(event_id)
        return found.event if found is not None and not found.cancelled else None

    def lookup(self, event_id: str) -> Lookup | None:
        """The event with this id, STATUS:CANCELLED ones included (they stay in the file)."""
        now = datetime.now(UTC)
        window = Window(now - timedelta(days=400), now + timedelta(days=400))
        for path in self._files():
            read = _Read()
            try:
                self._read(path, window, read)
            except InputError:
                continue
            for event in read.events:
                if event.id == event_id:
                    return Lookup(event_id, event)
            for event in read.cancelled_events:
                if event.id == event_id:
                    return Lookup(event_id, event, cancelled=True)
        return None

    def _read(self, path: Path, window: Window, read: _Read) -> None:
        """Add the file's events in the window to `read`; InputError if it is unreadable."""
        import icalendar
        import recurring_ical_events

        from afterword.providers.local import ics_plain

        self._unresolved = {}
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"{path}: cannot read: {err.strerror}") from err
        plain = ics_plain.split(data, window) if self.plain_fast_path else None
        if plain is not None:
            for component in plain.events:
                self._add(component, set(), path, window, read)
            if plain.rest is None:
                return  # nothing left for icalendar
            data = plain.rest.encode()
        try:
            calendar = icalendar.Calendar.from_ical(data)
        except Exception as err:  # icalendar raises ValueError, TypeError, … on bad input
            raise InputError(f"{path}: not a valid iCalendar file: {_first_line(err)}") from err
        try:
            occurrences = recurring_ical_events.of(calendar).between(window.start, window.end)
        except Exception:  # the library raises many types on bad recurrence data
            # One bad event must not hide the others: expand event by event.
            occurrences = self._expand_each(calendar, window, path, read)
        # The library stamps a RECURRENCE-ID on every occurrence, single events included:
        # only events that really recur get instance-level ids.
        recurring = {
            str(ve.get("UID", "")).strip() for ve in calendar.walk("VEVENT")
            if "RRULE" in ve or "RDATE" in ve or "RECURRENCE-ID" in ve
        }
        # Occurrences lose their TZID parameters: note which events named a zone that
        # could not be resolved (they come back naive), to warn instead of guessing quietly.
        for ve in calendar.walk("VEVENT"):
            start: Any = ve.get("DTSTART")
            try:
                value = start.dt
            except Exception:  # a broken value raises on access; that event is skipped later
                continue
            if isinstance(value, datetime) and value.tzinfo is None and "TZID" in start.params:
                self._unresolved[str(ve.get("UID", "")).strip()] = str(start.params["TZID"])
        for component in occurrences:
            self._add(component, recurring, path, window, read)

    def _add(self, component: Any, recurring: set[str], path: Path, window: Window,
             read: _Read) -> None:
        """One occurrence (or plain event) into `read`: an event, a cancellation, or a
        warning naming what is broken."""
        try:
            event = self._event(component, recurring)
        except Exception as err:  # a broken property raises on access, of many types
            uid = str(component.get("UID", "?"))[:80]
            read.warnings.append(f"{path}: skipped event {uid}: {_first_line(err)}")
            return
        if event.status is EventStatus.CANCELLED:
            read.cancelled.append(event.id)
            read.cancelled_events.append(event)
        elif window.overlaps(event.start, event.end):
            read.events.append(event)

    @staticmethod
    def _expand_each(calendar: Any, window: Window, path: Path, read: _Read) -> list[Any]:
        import icalendar
        import recurring_ical_events

        zones = list(calendar.walk("VTIMEZONE"))
        series: dict[str, list[Any]] = {}
        for ve in calendar.walk("VEVENT"):
            series.setdefault(str(ve.get("UID", "")).strip(), []).append(ve)
        occurrences: list[Any] = []
        for uid, parts in series.items():
            single = icalendar.Calendar()
            for component in (*zones, *parts):
                single.add_component(component)
            try:
                occurrences.extend(
                    recurring_ical_events.of(single).between(window.start, window.end))
            except Exception as err:  # as above: anything the library raises on bad data
                read.warnings.append(f"{path}: skipped event {uid[:80] or '?'}: "
                                     f"{_first_line(err)}")
        return occurrences

    def _event(self, ev: Any, recurring: set[str]) -> CalendarEvent:
        uid = str(ev.get("UID", "")).strip()
        start, all_day = self._when(ev, "DTSTART")
        if "DTEND" in ev:
            end, _ = self._when(ev, "DTEND")
        elif "DURATION" in ev:
            end = start + ev["DURATION"].dt
        else:
            end = start + (timedelta(days=1) if all_day else timedelta(0))
        event_id = uid or hashlib.sha256(str(ev.get("SUMMARY", "")).encode()).hexdigest()[:16]
        repeats = uid in recurring and "RECURRENCE-ID" in ev
        if repeats:
            original, _ = self._when(ev, "RECURRENCE-ID")
            event_id = f"{event_id}_{original.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        attendees = tuple(self._attendee(a, ev) for a in _as_list(ev.get("ATTENDEE")))
        organizer = self._organizer(ev)
        if organizer is not None:
            attendees = tuple(
                replace(a, is_organizer=True) if a.email and a.email == organizer.email else a
                for a in attendees
            )
        mine = [a for a in attendees if a.is_self]
        status = str(ev.get("STATUS", "CONFIRMED")).upper()
        description = str(ev.get("DESCRIPTION", ""))
        location = str(ev.get("LOCATION", ""))
        return CalendarEvent(
            account=self.account,
            calendar=str(self.path),
            id=event_id,
            title=str(ev.get("SUMMARY", "")).strip(),
            start=start,
            end=end,
            description=description,
            all_day=all_day,
            status=EventStatus.CANCELLED if status == "CANCELLED" else
            EventStatus.TENTATIVE if status == "TENTATIVE" else EventStatus.CONFIRMED,
            attendees=attendees,
            organizer=organizer,
            my_response=mine[0].response if mine else Response.UNKNOWN,
            location=location,
            video_link=self._video_link(ev, description, location),
            categories=tuple(c for prop in _as_list(ev.get("CATEGORIES"))
                             for c in _category_names(prop)),
            ical_uid=uid,
            series_id=uid if repeats else "",
        )

    def _when(self, ev: Any, name: str) -> tuple[datetime, bool]:
        prop = ev[name]
        value = prop.dt
        if isinstance(value, datetime):
            if value.tzinfo is None:
                uid = str(ev.get("UID", "")).strip()
                tzid = prop.params.get("TZID") or self._unresolved.get(uid)
                if tzid and name == "DTSTART":
                    log.warning("unknown time zone %r in event %s; using %s", str(tzid),
                                uid or "?", self.timezone)
                value = value.replace(tzinfo=self.timezone)
            return value, False
        if isinstance(value, date):
            return datetime.combine(value, time(0), tzinfo=self.timezone), True
        raise ValueError(f"{name} is not a date or time")

    def _attendee(self, prop: Any, ev: Any) -> Attendee:
        params = getattr(prop, "params", {})
        email = _address(str(prop))
        cutype = str(params.get("CUTYPE", "INDIVIDUAL")).upper()
        return Attendee(
            email=email,
            name=_clean_cn(params.get("CN")),
            response=_PARTSTAT.get(str(params.get("PARTSTAT", "")).upper(), Response.UNKNOWN),
            is_self=bool(email and email in self.my_emails),
            is_resource=cutype in ("ROOM", "RESOURCE"),
            # RFC 5545: "a group of individuals" (a mailing list), never one person to thank.
            is_group=cutype == "GROUP",
            optional=str(params.get("ROLE", "")).upper() in ("OPT-PARTICIPANT", "NON-PARTICIPANT"),
        )

    def _organizer(self, ev: Any) -> Attendee | None:
        prop = ev.get("ORGANIZER")
        if prop is None:
            return None
        email = _address(str(prop))
        return Attendee(
            email=email,
            name=_clean_cn(getattr(prop, "params", {}).get("CN")),
            response=Response.ORGANIZER,
            is_self=bool(email and email in self.my_emails),
            is_organizer=True,
        )

    @staticmethod
    def _video_link(ev: Any, description: str, location: str) -> str:
        for name in ("X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL"):
            if name in ev:
                return str(ev[name])
        match = _VIDEO_URL.search(f"{location}\n{description}")
        return match.group(0) if match else ""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _category_names(prop: Any) -> list[str]:
    cats = getattr(prop, "cats", None)
    if cats is not None:
        return [str(c) for c in cats]
    return [c.strip() for c in str(prop).split(",") if c.strip()]


def _address(value: str) -> str | None:
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    value = value.strip().lower()
    return value if "@" in value else None


def _clean_cn(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().strip('"').strip()
    return text or None


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:200]


@dataclass
class _Read:
    """What reading a calendar found: events, cancelled ids, and what had to be skipped."""

    events: list[CalendarEvent] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    cancelled_events: list[CalendarEvent] = field(default_factory=list)  # for `explain`
    warnings: list[str] = field(default_factory=list)


class MaildirDrafts(DraftMailbox):
    """Drafts in `<root>/.Drafts`, sent mail expected in `<root>/.Sent` (Maildir++)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: tuple[tuple[int, ...], dict[str, tuple[DraftRef, DraftStatus]]] | None = None

    def _folder(self, name: str, create: bool) -> mailbox.Maildir | None:
        try:
            if not create and not (self.root / f".{name}").is_dir():
                return None
            if create:
                self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            box = mailbox.Maildir(self.root, factory=None, create=create)
            try:
                folder = box.get_folder(name)
                # A folder made by hand (or a tool) with only cur/ is still a folder:
                # listing it needs new/ and tmp/ too.
                for sub in ("cur", "new", "tmp"):
                    (self.root / f".{name}" / sub).mkdir(mode=0o700, exist_ok=True)
                return folder
            except mailbox.NoSuchMailboxError:
                return box.add_folder(name) if create else None
        except OSError as err:
            raise ProviderError(f"maildir {self.root}: {err.strerror or err}") from err

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """Write the draft atomically (tmp/ then rename into cur/), flagged Draft+Seen."""
        drafts = self._folder("Drafts", create=True)
        assert drafts is not None
        # Files on disk use Unix line ends (as mutt and Dovecot write them), not SMTP's CRLF.
        entry = mailbox.MaildirMessage(message.as_bytes(policy=message.policy.clone(linesep="\n")))
        entry.set_subdir("cur")
        entry.set_flags("DS")
        try:
            return DraftRef(provider_id=drafts.add(entry))
        except OSError as err:
            raise ProviderError(f"cannot write draft to {self.root}/.Drafts: "
                                f"{err.strerror or err}") from err

    def find_draft(self, key: str) -> DraftRef | None:
        """Look for a message stamped with `key` in Drafts, then in Sent."""
        for name in ("Drafts", "Sent"):
            folder = self._folder(name, create=False)
            found = _find_by_header(folder, key) if folder is not None else None
            if found:
                return DraftRef(provider_id=found)
        return None

    def _listing(self, name: str) -> dict[str, str]:
        """Message key → file name for one folder, from two directory listings (no stat)."""
        found: dict[str, str] = {}
        for sub in ("new", "cur"):
            try:
                names = os.listdir(self.root / f".{name}" / sub)
            except FileNotFoundError:
                continue
            except OSError as err:
                raise ProviderError(f"maildir {self.root}: {err.strerror or err}") from err
            for filename in names:
                if not filename.startswith("."):
                    found[filename.split(":", 1)[0]] = f"{sub}/{filename}"
        return found

    def _signature(self) -> tuple[int, ...]:
        # A folder's mtime changes whenever a message is added, removed or renamed in it.
        stamps = []
        for name in ("Drafts", "Sent"):
            for sub in ("new", "cur"):
                try:
                    stamps.append((self.root / f".{name}" / sub).stat().st_mtime_ns)
                except OSError:
                    stamps.append(0)
        return tuple(stamps)

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """Open if still in Drafts, sent if in Sent, else discarded.

        Idle cost: four stat() calls when no folder changed since the last call.
        """
        signature = self._signature()
        cached = self._cache
        if cached is not None and cached[0] == signature and all(
                k in cached[1] and cached[1][k][0] == ref for k, ref in drafts.items()):
            return {k: cached[1][k][1] for k in drafts}
        listed = {name: self._listing(name) for name in ("Drafts", "Sent")}
        result: dict[str, DraftStatus] = {}
        for key, ref in drafts.items():
            result[key] = self._state(key, ref, listed)
        # On filesystems with coarse timestamps a change in the same tick as a folder's
        # last change would not move its mtime: only trust folders that have settled.
        settled = time_ns() - max(signature) > 2_000_000_000
        self._cache = (signature, {k: (drafts[k], result[k]) for k in drafts}) if settled \
            else None
        return result

    def _state(self, key: str, ref: DraftRef, listed: dict[str, dict[str, str]]) -> DraftStatus:
        if ref.provider_id in listed["Drafts"]:
            return DraftStatus(MailboxState.OPEN)
        sent_file = listed["Sent"].get(ref.provider_id)
        if sent_file:
            return DraftStatus(MailboxState.SENT, self._mtime("Sent", sent_file))
        # The mail client may have re-saved the draft under a new name: match the header.
        for name, state in (("Drafts", MailboxState.OPEN), ("Sent", MailboxState.SENT)):
            folder = self._folder(name, create=False)
            moved = _find_by_header(folder, key) if folder is not None else None
            if moved:
                sent_at = self._mtime(name, listed[name].get(moved, "")) if name == "Sent" \
                    else None
                return DraftStatus(state, sent_at, ref=DraftRef(moved))
        return DraftStatus(MailboxState.DISCARDED)

    def _mtime(self, folder: str, filename: str) -> datetime | None:
        # Moving a file into .Sent keeps its mtime (when it was written) but sets its ctime:
        # the later of the two is when it arrived there.
        try:
            st = (self.root / f".{folder}" / filename).stat()
        except OSError:
            return None
        return datetime.fromtimestamp(max(st.st_mtime, st.st_ctime), UTC)


def _find_by_header(folder: mailbox.Maildir, key: str) -> str | None:
    parser = BytesParser()
    for msg_key in folder.keys():  # noqa: SIM118 (iterating a Maildir yields messages)
        try:
            with folder.get_file(msg_key) as handle:
                headers = parser.parse(handle, headersonly=True)  # type: ignore[arg-type]
        except (OSError, KeyError):
            continue  # removed while we looked
        if (headers.get(KEY_HEADER) or "").strip() == key:
            return str(msg_key)
    return None
