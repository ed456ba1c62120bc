"""The local calendar: events from an .ics file or every .ics file under a folder (vdir style)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from afterword.daemon.errors import InputError, one_line
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response
from afterword.providers.base import (
    CalendarSource,
    ChangeSet,
    Lookup,
    Window,
)
from afterword.providers.series import SkippedSeries, runaway_blocks

log = logging.getLogger(__name__)

_UNSEEN = object()
# Ends the cursor of a calendar read with warnings: nothing changed, but say them again.
_DAMAGED = "~damaged"

_PARTSTAT = {
    "ACCEPTED": Response.ACCEPTED,
    "DECLINED": Response.DECLINED,
    "TENTATIVE": Response.TENTATIVE,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
    # RFC 5545 3.2.12: the guest passed the meeting on; the delegate (DELEGATED-FROM) is
    # listed as a guest of their own and is the one who takes part.
    "DELEGATED": Response.DELEGATED,
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
        self._said: tuple[str, tuple[str, ...]] = ("", ())  # signature → its warnings

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
        if cursor == f"{signature}{_DAMAGED}" and self._said[0] == signature:
            # Unchanged, but still damaged: the user keeps hearing of it (status, check);
            # a new process reads it again once to know what to say.
            return ChangeSet(events=(), cursor=cursor, full=False, warnings=self._said[1])
        read = self._read(files, window)
        if read.unreadable and len(files) == 1:
            raise InputError(read.unreadable[0])  # the calendar itself: one clear error
        warnings = (*read.unreadable, *read.warnings)
        self._said = (signature, warnings)
        # With a whole file unreadable, an interview missing from what was read may only be
        # hidden in it: report the upserts and cancellations, remove nothing else, and
        # settle no cursor (the next cycle reads again) until it reads.
        if read.unreadable:
            return ChangeSet(events=tuple(read.events), cursor=None, full=False,
                             removed=tuple(read.cancelled), warnings=warnings)
        return ChangeSet(events=tuple(read.events),
                         cursor=f"{signature}{_DAMAGED}" if warnings else signature,
                         full=True, removed=tuple(read.cancelled), warnings=warnings,
                         skipped=tuple(read.skipped))

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event with this id within 400 days of today; None if absent or cancelled."""
        found = self.lookup(event_id)
        return found.event if found is not None and not found.cancelled else None

    def lookup(self, event_id: str) -> Lookup | None:
        """The event with this id, STATUS:CANCELLED ones included (they stay in the file)."""
        now = datetime.now(UTC)
        read = self._read(self._files(), Window(now - timedelta(days=400),
                                                now + timedelta(days=400)))
        return read.lookup(event_id)

    def problems(self) -> list[str]:
        """What reading the calendar now would skip, for `check` (empty when it is clean)."""
        now = datetime.now(UTC)
        try:
            read = self._read(self._files(), Window(now - timedelta(days=400),
                                                    now + timedelta(days=400)))
        except InputError as err:
            return [str(err)]
        return [*read.unreadable, *read.warnings]

    def _read(self, files: list[Path], window: Window) -> IcsRead:
        """Every file's events in the window (copies of one event across files
        included); a file that cannot be read is named in `unreadable`."""
        read = IcsRead()
        found = []
        for path in files:
            try:
                found.append(self._structure(path.read_bytes(), str(path), read))
            except OSError as err:
                read.unreadable.append(one_line(f"{path}: cannot read: {err.strerror}", 500))
            except InputError as err:
                read.unreadable.append(str(err))
        self._events_of(found, window, read)
        return read

    def read_data(self, data: bytes, source: str, window: Window, read: IcsRead) -> None:
        """Add the events in the window of iCalendar `data` to `read`; InputError if it is
        unreadable. `source` names the data in warnings (a file, a CalDAV object)."""
        self._events_of([self._structure(data, source, read)], window, read)

    @staticmethod
    def _structure(data: bytes, source: str, read: IcsRead) -> Any:
        """The calendars and events of `data`, its damage warned of; InputError if it has
        nothing readable."""
        from afterword.providers.local import ics_text

        try:
            found = ics_text.structure(data)
        except ics_text.NotACalendar as err:
            raise InputError(one_line(f"{source}: not a valid iCalendar file: {err}", 500)) \
                from None
        found.name = source
        read.warnings.extend(one_line(f"{source}: {problem}", 500) for problem in found.problems)
        return found

    def _events_of(self, files: list[Any], window: Window, read: IcsRead) -> None:
        """The events in the window of these files' structures: the copies in force, plain
        ones read straight from the text, the rest through icalendar."""
        from afterword.providers.local import ics_copies, ics_plain, ics_slow, ics_text

        blocks: list[ics_text.Block] = []
        for found in files:
            for block in found.events:
                block.order = len(blocks)
                blocks.append(block)
        current = ics_copies.in_force(blocks)
        slow = current
        if self.plain_fast_path:
            slow = []
            count: dict[str, int] = {}
            for block in current:
                uid = block.uid
                count[uid] = count.get(uid, 0) + 1
            zones: dict[int, Any] = {}
            for block in current:
                zone = zones.get(id(block.source), _UNSEEN)
                if zone is _UNSEEN:
                    zone = zones[id(block.source)] = ics_plain.calendar_zone(block.source.head)
                event = None
                if zone is not ics_plain.NOT_PLAIN and count[block.uid] == 1:
                    event = ics_plain.plain(block.lines, zone)
                if event is None:
                    slow.append(block)
                elif ics_plain.in_window(event, window):
                    self._add(event, set(), block.source.file.name, window, read)

        def warn(source: ics_text.Source, text: str) -> None:
            read.warnings.append(f"{source.file.name}: {text}")

        # A rule that repeats more than a few times a day is never expanded: FREQ=SECONDLY
        # over the window is 1.9 million occurrences (it grew the daemon to 6 GB).
        runaway = runaway_blocks(slow)
        if runaway:
            slow = [b for b in slow if b.uid not in runaway]
            read.skipped.extend(runaway.values())

        for found_ in ics_slow.expand(slow, window, warn):
            self._unresolved = found_.unresolved  # for _when's warning
            for component in found_.components:
                self._add(component, found_.recurring, found_.where, window, read)
        # They quote the stranger's data (UIDs, lines): one line each, or a log line
        # could be forged with them.
        read.warnings = [one_line(w, 500) for w in read.warnings]

    def _add(self, component: Any, recurring: set[str], where: str, window: Window,
             read: IcsRead) -> None:
        """One occurrence (or plain event) into `read`: an event, a cancellation, or a
        warning naming what is broken."""
        try:
            event = self._event(component, recurring)
        except Exception as err:  # a broken property raises on access, of many types
            uid = str(component.get("UID", "?"))[:80]
            read.warnings.append(f"{where}: skipped event {uid}: {_first_line(err)}")
            return
        if event.status is EventStatus.CANCELLED:
            read.cancelled.append(event.id)
            read.cancelled_events.append(event)
        elif window.overlaps(event.start, event.end):
            read.events.append(event)

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
        response = _PARTSTAT.get(str(params.get("PARTSTAT", "")).upper(), Response.UNKNOWN)
        if params.get("DELEGATED-TO"):
            # DELEGATED-TO says the guest handed the meeting on, whatever PARTSTAT says.
            response = Response.DELEGATED
        return Attendee(
            email=email,
            name=_clean_cn(params.get("CN")),
            response=response,
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
    from afterword.providers.local.ics_slow import first_line

    return first_line(err)


@dataclass
class IcsRead:
    """What reading a calendar found: events, cancelled ids, and what had to be skipped."""

    unreadable: list[str] = field(default_factory=list)  # whole files
    events: list[CalendarEvent] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    cancelled_events: list[CalendarEvent] = field(default_factory=list)  # for `explain`
    warnings: list[str] = field(default_factory=list)
    skipped: list[SkippedSeries] = field(default_factory=list)  # runaway series

    def lookup(self, event_id: str) -> Lookup | None:
        """The event with this id among those read, a cancelled one included."""
        for event in self.events:
            if event.id == event_id:
                return Lookup(event_id, event)
        for event in self.cancelled_events:
            if event.id == event_id:
                return Lookup(event_id, event, cancelled=True)
        return None
