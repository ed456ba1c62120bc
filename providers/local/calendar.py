"""The local calendar: events from an .ics file or every .ics file under a folder (vdir style)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from afterword.daemon.errors import InputError
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response
from afterword.providers.base import (
    CalendarSource,
    ChangeSet,
    Lookup,
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


class IcsCalendar(CalendarSource):
    """Events from one .ics file or every .ics file under a folder."""

    def __init__(self, path: Path | None, account: str, timezone: tzinfo,
                 my_emails: tuple[str, ...] = (), *, plain_fast_path: bool = True,
                 label: str = "") -> None:
        self.path = path  # None: a reader of iCalendar data from elsewhere (CalDAV)
        self.label = label or str(path)  # the events' `calendar`
        self.account = account
        self.timezone = timezone
        self.my_emails = {e.lower() for e in my_emails}
        # False: icalendar reads every event (the tests compare both ways of reading).
        self.plain_fast_path = plain_fast_path
        self._unresolved: dict[str, str] = {}

    def _files(self) -> list[Path]:
        if self.path is None:
            raise InputError("no calendar file or folder")
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
        read = IcsRead()
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
            read = IcsRead()
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

    def _read(self, path: Path, window: Window, read: IcsRead) -> None:
        """Add the file's events in the window to `read`; InputError if it is unreadable."""
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"{path}: cannot read: {err.strerror}") from err
        self.read_data(data, str(path), window, read)

    def read_data(self, data: bytes, source: str, window: Window, read: IcsRead) -> None:
        """Add the events in the window of iCalendar `data` to `read`; InputError if it is
        unreadable. `source` names the data in warnings (a file, a CalDAV object)."""
        import icalendar
        import recurring_ical_events

        from afterword.providers.local import ics_plain

        self._unresolved = {}
        path = source
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

    def _add(self, component: Any, recurring: set[str], path: Path | str, window: Window,
             read: IcsRead) -> None:
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
    def _expand_each(calendar: Any, window: Window, path: Path | str, read: IcsRead) -> list[Any]:
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
            calendar=self.label,
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
class IcsRead:
    """What reading a calendar found: events, cancelled ids, and what had to be skipped."""

    events: list[CalendarEvent] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    cancelled_events: list[CalendarEvent] = field(default_factory=list)  # for `explain`
    warnings: list[str] = field(default_factory=list)
