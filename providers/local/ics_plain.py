"""Plain VEVENTs read straight from the .ics text; icalendar reads everything else.

icalendar spends about 60 µs on each content line (a 10,000-event file: ~6 s of CPU and
~130 MB), and most events of a busy calendar are plain: one VEVENT per UID, no
recurrence, times in UTC, floating, or in a named IANA zone. `plain` reads one of those
(a block of lines found by ics_text) into a light stand-in for icalendar's components
(the interface calendar.py's translator uses), and says None for everything it does not
read itself (recurring series, Windows or custom zone names, RFC 6868 or
backslash-escaped parameters, damaged values, …): icalendar and recurring-ical-events
read those.

The rules are icalendar's own (unfolding, content-line split, backslash unescaping of
values, CATEGORIES split on unescaped commas) and recurring-ical-events' (DTEND from
DURATION or the start, its span test); tests compare both paths event for event.
X-WR-TIMEZONE (Google's exports) is applied as recurring-ical-events applies it: UTC
times move into that zone, floating times are read in it. Whatever is not clearly plain
goes the slow way.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from recurring_ical_events.util import time_span_contains_event

from afterword.daemon.model import EARLIEST, LATEST
from afterword.providers.base import Window

# A content line whose name and parameters need none of icalendar's lenient repairs:
# no backslash, percent sign, caret (RFC 6868), control character or comma-separated
# list in a parameter value.
_PARAM_VALUE = r'(?:"[^"\\%^\x00-\x1f\x7f]*"|[^";:,\\%^\x00-\x1f\x7f]*)'
_LINE = re.compile(rf"([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+={_PARAM_VALUE})*):(.*)", re.S)
_PARAM = re.compile(rf";([A-Za-z0-9-]+)=({_PARAM_VALUE})")
_NAME = re.compile(r"[A-Za-z0-9-]+(?=[;:])")
_UNESCAPE = re.compile(r"\\([\\,;:nN])")
_DATE = re.compile(r"\d{8}")
_DATE_TIME = re.compile(r"\d{8}T\d{6}Z?")
_DURATION = re.compile(r"\+?P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)")
# What makes an event part of a series: icalendar and recurring-ical-events read it.
# Years of the times a plain event may have: the others are out of range (icalendar's
# path names them; zone arithmetic near the ends of the calendar overflows).
_FIRST_YEAR, _LAST_YEAR = EARLIEST.year, LATEST.year - 1
_SERIES = frozenset({"RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"})
# Properties the translator reads as one value (icalendar gives a list when repeated).
_SINGLE = frozenset({"UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION",
                     "LOCATION", "STATUS", "ORGANIZER", "X-GOOGLE-CONFERENCE",
                     "X-MICROSOFT-SKYPETEAMSMEETINGURL"})
# Every property the translator in calendar.py reads; the others are not kept.
_READ = _SINGLE | {"ATTENDEE", "CATEGORIES"}
# Properties whose damage makes an event unreadable (the others are not read at all).
READ_PROPERTIES = _READ | _SERIES


class Prop:
    """A property value (unescaped, as icalendar gives it) with its parameters."""

    __slots__ = ("cats", "dt", "params", "value")

    def __init__(self, value: str, params: dict[str, str], dt: Any = None,
                 cats: list[str] | None = None) -> None:
        self.value, self.params, self.dt, self.cats = value, params, dt, cats

    def __str__(self) -> str:
        """The value, as str() of an icalendar property gives it."""
        return self.value

    def __repr__(self) -> str:
        return f"Prop({self.value!r}, {self.params!r})"


class PlainEvent(dict[str, list[Prop]]):
    """The properties of one plain VEVENT, looked up the way icalendar's Event is."""

    def get(self, name: str, default: Any = None) -> Any:
        """One property, a list when it is repeated, or `default`."""
        values = super().get(name)
        if not values:
            return default
        return values[0] if len(values) == 1 else values

    def __getitem__(self, name: str) -> Any:
        """One property (a list when repeated); KeyError when absent."""
        values = super().__getitem__(name)
        return values[0] if len(values) == 1 else values


NOT_PLAIN = object()


def calendar_zone(head: list[str]) -> ZoneInfo | object | None:
    """The calendar's X-WR-TIMEZONE (Google's exports), None without one, or
    NOT_PLAIN when it is not plainly one IANA zone (icalendar then reads every event)."""
    wr_zones = [line for line in head if line[:14].upper() in ("X-WR-TIMEZONE:",
                                                               "X-WR-TIMEZONE;")]
    if not wr_zones:
        return None
    name = _UNESCAPE.sub(_unescaped, wr_zones[0].split(":", 1)[-1])
    if len(wr_zones) > 1 or name not in _iana_names():
        return NOT_PLAIN
    return ZoneInfo(name)


def in_window(event: PlainEvent, window: Window) -> bool:
    """Whether recurring-ical-events would put the event in `window`."""
    return bool(time_span_contains_event(window.start, window.end, event["DTSTART"].dt,
                                         event["DTEND"].dt))


def _unescaped(match: re.Match[str]) -> str:
    return "\n" if match.group(1) in "nN" else match.group(1)


def plain(block: list[str], wr_zone: ZoneInfo | None) -> PlainEvent | None:
    """The VEVENT's own properties, or None when it is not plain; `wr_zone`: the
    calendar's X-WR-TIMEZONE."""
    event = PlainEvent()
    depth = 0
    for line in block[1:-1]:
        start = _NAME.match(line)
        if start is None:
            return None
        name = start.group().upper()
        if name == "BEGIN":
            depth += 1
            continue
        if name == "END":
            depth -= 1
            continue
        if depth:
            continue  # a VALARM's properties are not the event's
        if name not in _READ:
            if name in _SERIES:
                return None
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        params: dict[str, str] = {}
        if match.group(2):
            params = {key.upper(): value.strip('"')
                      for key, value in _PARAM.findall(match.group(2))}
            if any(v != v.strip(" \t") for v in params.values()):
                return None  # icalendar strips blanks around delimiters
        prop = _prop(name, params, match.group(3), wr_zone)
        if prop is None:
            return None
        event.setdefault(name, []).append(prop)
    if any(len(values) > 1 and name in _SINGLE for name, values in event.items()):
        return None
    if not str(event.get("UID", "")).strip() or "DTSTART" not in event:
        return None
    return _with_end(event)


def _prop(name: str, params: dict[str, str], raw: str,
          wr_zone: ZoneInfo | None) -> Prop | None:
    """One property as icalendar reads it; None when its value is not plainly read."""
    if name == "CATEGORIES":
        cats = _split_categories(raw)
        return Prop(",".join(cats), params, cats=cats)
    value = _UNESCAPE.sub(_unescaped, raw) if "\\" in raw else raw
    if name in ("DTSTART", "DTEND"):
        moment = _moment(value, params)
        if isinstance(moment, datetime) and wr_zone is not None:
            # x-wr-timezone's rule: UTC into the calendar's zone, floating read in it.
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=wr_zone)
            elif str(moment.tzname()).upper() == "UTC":
                moment = moment.astimezone(wr_zone)
        return None if moment is None else Prop(value, {}, dt=moment)
    if name == "DURATION":
        length = _duration(value)
        return None if length is None or params.get("VALUE") else Prop(value, {}, dt=length)
    if "VALUE" in params and (name in _SINGLE or name == "ATTENDEE"):
        return None  # another value type than the usual one: icalendar's business
    if name in ("ATTENDEE", "ORGANIZER") and ("\n" in value or "\r" in value):
        return None  # icalendar refuses such an address: a damaged property
    return Prop(value, params)


def _split_categories(raw: str) -> list[str]:
    """icalendar's split of CATEGORIES on commas not escaped, each part unescaped."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            current.append(raw[i:i + 2])  # an escaped character, comma or backslash
            i += 2
            continue
        if raw[i] == ",":
            parts.append(_UNESCAPE.sub(_unescaped, "".join(current)))
            current = []
        else:
            current.append(raw[i])
        i += 1
    parts.append(_UNESCAPE.sub(_unescaped, "".join(current)))
    return parts


def _moment(value: str, params: dict[str, str]) -> date | datetime | None:
    kind = params.get("VALUE", "").upper() if params else ""
    zone_name = params.get("TZID") if params else None
    try:
        if _DATE.fullmatch(value):
            if kind not in ("", "DATE") or zone_name is not None:
                return None
            return date.fromisoformat(value)
        if _DATE_TIME.fullmatch(value) is None or kind not in ("", "DATE-TIME"):
            return None
        # The shapes are checked above: fromisoformat reads exactly these (a Z is UTC).
        moment = datetime.fromisoformat(value)
    except ValueError:  # 20261131, hour 24, second 60: icalendar's to judge
        return None
    if moment.tzinfo is not None:
        return None if zone_name is not None else moment
    if zone_name is None:
        return moment  # floating: the translator gives it the user's zone
    if zone_name not in _iana_names():
        return None  # Windows or custom names: icalendar resolves those
    return moment.replace(tzinfo=ZoneInfo(zone_name))


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _duration(value: str) -> timedelta | None:
    match = _DURATION.fullmatch(value)
    if match is None or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    try:
        return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes,
                         seconds=seconds)
    except OverflowError:  # P999999999999999999W: icalendar names the damage
        return None


def _with_end(event: PlainEvent) -> PlainEvent | None:
    """DTEND as recurring-ical-events computes it (from DURATION, or the start); None
    when the times mix kinds or run backwards (the library repairs those its own way)."""
    start = event["DTSTART"].dt
    if not _FIRST_YEAR <= start.year <= _LAST_YEAR:
        return None  # near the ends of the calendar, zone arithmetic overflows
    if "DTEND" in event:
        end = event["DTEND"].dt
    elif "DURATION" in event:
        length = event.pop("DURATION")[0].dt
        if not isinstance(start, datetime) and length.seconds:
            return None
        try:
            end = start + length
        except OverflowError:
            return None
    else:
        end = start if isinstance(start, datetime) else start + timedelta(days=1)
    if isinstance(start, datetime) != isinstance(end, datetime):
        return None
    if end.year > _LAST_YEAR:
        return None
    if isinstance(start, datetime) and (start.tzinfo is None) != (end.tzinfo is None):
        return None
    if end < start:
        return None
    if isinstance(end, datetime) and end.tzinfo is not start.tzinfo:
        end = end.astimezone(start.tzinfo)  # the library gives the end the start's zone
    event["DTEND"] = [Prop("", {}, dt=end)]
    return event

