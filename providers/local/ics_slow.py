"""The events ics_plain does not read: icalendar parses them, recurring-ical-events expands
them, one calendar's worth at a time, and a damaged one costs only itself.

icalendar already keeps most damage inside an event (a VEVENT's unparseable line or
value is recorded in its `errors`, not raised). What it still raises on (a damaged time
zone, a broken line inside an alarm) makes this reader parse the calendar's parts one
by one; what recurring-ical-events raises on makes it expand the series one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from afterword.daemon.model import EARLIEST, LATEST
from afterword.providers.base import Window
from afterword.providers.local.ics_plain import READ_PROPERTIES
from afterword.providers.local.ics_text import Block, Source

_NAME = re.compile(r"[A-Za-z0-9-]*")
# Told of each skipped part: the calendar it was in, and what was skipped and why.
Warn = Callable[[Source, str], None]


@dataclass
class Occurrences:
    """What one calendar's worth of events gives in a window."""

    components: list[Any] = field(default_factory=list)  # occurrences, icalendar's type
    recurring: set[str] = field(default_factory=set)  # UIDs of real series
    unresolved: dict[str, str] = field(default_factory=dict)  # UID → TZID not understood
    where: str = ""  # the file


def expand(blocks: list[Block], window: Window, warn: Warn) -> Iterator[Occurrences]:
    """The occurrences in `window` of these events (the copies in force), a calendar's
    worth at a time; `warn(source, text)` hears of what was skipped."""
    for source, group in _by_calendar(blocks):
        calendar = _parse(source, group, warn)
        found = Occurrences(where=source.file.name)
        for event in _valid_events(calendar, group, source, warn):
            uid = str(event.get("UID", "")).strip()
            if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event:
                found.recurring.add(uid)
            start: Any = event.get("DTSTART")
            value = start.dt
            # Occurrences lose their TZID parameters: note which events named a zone that
            # could not be resolved (they come back naive), to warn instead of guessing.
            if isinstance(value, datetime) and value.tzinfo is None and "TZID" in start.params:
                found.unresolved[uid] = str(start.params["TZID"])
        found.components = _occurrences(calendar, window, source, warn)
        yield found


def _by_calendar(blocks: list[Block]) -> Iterator[tuple[Source, list[Block]]]:
    """Blocks grouped by the calendar they came from; a series whose copies came from
    several files goes with its first one, so its overrides apply."""
    home: dict[str, Source] = {}
    groups: dict[int, tuple[Source, list[Block]]] = {}
    for block in blocks:
        uid = block.uid
        source = home.setdefault(uid, block.source) if uid else block.source
        groups.setdefault(id(source), (source, []))[1].append(block)
    yield from groups.values()


def _parse(source: Source, group: list[Block], warn: Warn) -> Any:
    """One icalendar Calendar of the source's properties, zones and these events (with
    the zones of the other files a copy among them came from)."""
    import icalendar

    zones = list(source.zones)
    for other in dict.fromkeys(block.source for block in group if block.source is not source):
        zones += other.zones
    lines = ["BEGIN:VCALENDAR", *source.head, *(line for zone in zones for line in zone.lines)]
    lines += [line for block in group for line in block.lines]
    try:
        return icalendar.Calendar.from_ical("\r\n".join([*lines, "END:VCALENDAR", ""]))
    except Exception:  # icalendar raises ValueError, TypeError, … on damaged parts
        pass
    # Part by part: the calendar's own properties (one that icalendar cannot read is
    # none Afterword reads: left out), each zone, each event.
    calendar = icalendar.Calendar()
    for line in source.head:
        try:
            own = icalendar.Calendar.from_ical(f"BEGIN:VCALENDAR\r\n{line}\r\nEND:VCALENDAR")
        except Exception:  # as above
            continue
        for name, value in own.property_items(recursive=False)[1:-1]:
            calendar.add(name, value, encode=False)
    for block in [*zones, *group]:
        part: Any
        try:
            part = icalendar.Component.from_ical("\r\n".join([*block.lines, ""]))
        except Exception as err:  # as above
            # icalendar forgives damage inside an event, not inside its alarms; Afterword
            # reads no alarm (nor ics_plain): without them the event may read.
            part = _without_parts(block) if block.kind == "VEVENT" else None
            if part is None:
                warn(source, f"skipped {block.describe()}: {first_line(err)}")
                continue
        calendar.add_component(part)
    return calendar


def _without_parts(block: Block) -> Any:
    """The event without its subcomponents (alarms), or None if it still cannot be read."""
    import icalendar

    try:
        return icalendar.Component.from_ical(
            "\r\n".join([block.lines[0], *_own_lines(block), block.lines[-1], ""]))
    except Exception:  # as in _parse
        return None


def _valid_events(calendar: Any, group: list[Block], source: Source,
                  warn: Warn) -> list[Any]:
    """The calendar's events that are readable; the others are removed with a warning."""
    by_uid = {block.uid: block for block in group}
    kept: list[Any] = []
    for component in list(calendar.subcomponents):
        if component.name != "VEVENT":
            continue
        problem = _damage(component, by_uid.get(str(component.get("UID", "")).strip()))
        if problem is None:
            kept.append(component)
            continue
        calendar.subcomponents.remove(component)
        uid = str(component.get("UID", "")).strip()
        if problem:  # "" : a cancelled copy with nothing to cancel: nothing to say
            block = by_uid.get(uid)
            name = block.describe() if block is not None else f"event {uid[:80] or '?'}"
            warn(source, f"skipped {name}: {problem}")
    return kept


def _damage(event: Any, block: Block | None) -> str | None:
    """What makes the event unreadable; None if nothing does."""
    for name, error in getattr(event, "errors", ()):
        if name is None:
            line = _damaged_line(block)
            if line is not None:
                return f"a damaged line: {line[:60]!r}"
        elif name.upper() in READ_PROPERTIES:
            return f"damaged {name.upper()}: {first_line(error)}"
    if "DTSTART" not in event:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            return ""
        return "it has no start (DTSTART)"
    if any(isinstance(event.get(name), list) for name in ("DTSTART", "DTEND", "DURATION")):
        return "it has more than one start, end or duration"
    try:
        start = event["DTSTART"].dt
        end = event["DTEND"].dt if "DTEND" in event else None
    except Exception as err:  # a value icalendar kept but cannot give: damaged
        return first_line(err)
    if not isinstance(start, date) or (end is not None and not isinstance(end, date)):
        return "its start or end is not a date or time"
    if end is not None and _comparable(start, end) and end < start:
        return f"it ends before it starts ({end} < {start})"
    series = "RRULE" in event or "RDATE" in event  # a series may begin in 1604 (birthdays)
    if (end is not None and end.year >= LATEST.year) or start.year >= LATEST.year or \
            (start.year < EARLIEST.year and not series):
        return f"its dates are out of range ({start} to {end if end is not None else '?'})"
    return None


def _damaged_line(block: Block | None) -> str | None:
    """The event's first unparseable line that may be one Afterword reads (a damaged
    line of a property it never reads costs nothing, as in icalendar); None if none."""
    from icalendar.parser import Contentline

    if block is None:
        return "?"
    for line in _own_lines(block):
        try:
            Contentline(line).parts()
        except ValueError:
            name = _NAME.match(line).group().upper()  # type: ignore[union-attr]
            if not name or name in READ_PROPERTIES:
                return line
    return None


def _own_lines(block: Block) -> list[str]:
    """The event's own property lines, without those of its subcomponents (alarms)."""
    lines, depth = [], 0
    for line in block.lines[1:-1]:
        head = line[:6].upper()
        if head == "BEGIN:":
            depth += 1
        elif head[:4] == "END:":
            depth -= 1
        elif not depth:
            lines.append(line)
    return lines


def _comparable(start: date, end: date) -> bool:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (start.tzinfo is None) == (end.tzinfo is None)
    return not isinstance(start, datetime) and not isinstance(end, datetime)


def _occurrences(calendar: Any, window: Window, source: Source, warn: Warn) -> list[Any]:
    import icalendar
    import recurring_ical_events

    try:
        return list(recurring_ical_events.of(calendar).between(window.start, window.end))
    except Exception:  # the library raises many types on bad recurrence data
        pass
    # One bad series must not hide the others: expand series by series.
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    series: dict[str, list[Any]] = {}
    for event in calendar.subcomponents:
        if event.name == "VEVENT":
            series.setdefault(str(event.get("UID", "")).strip(), []).append(event)
    occurrences: list[Any] = []
    for uid, parts in series.items():
        single = icalendar.Calendar()
        for name, value in calendar.property_items(recursive=False)[1:-1]:
            single.add(name, value, encode=False)  # X-WR-TIMEZONE and the like
        for component in (*zones, *parts):
            single.add_component(component)
        try:
            occurrences.extend(
                recurring_ical_events.of(single).between(window.start, window.end))
        except Exception as err:  # as above: anything the library raises on bad data
            warn(source, f"skipped event {uid[:80] or '?'}: {first_line(err)}")
    return occurrences


def first_line(err: BaseException | str) -> str:
    """The first line of an error's text, short enough for a log line."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:200]
