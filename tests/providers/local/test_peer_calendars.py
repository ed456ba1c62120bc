"""Every calendar of our two .ics libraries' own test data reads through the local provider.

The files come from the installed packages (icalendar's `tests/**.ics`,
recurring-ical-events' `test/calendars/*.ics`), so the test follows their versions: a few
hundred calendars as people and programs write them, damaged ones included. For each
file the local provider gives its events or a one-line reason, never a traceback; both
ways of reading agree; and the events icalendar and recurring-ical-events read from a
file themselves are the events Afterword reads (or it names each one it skipped).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from afterword.daemon.errors import InputError
from afterword.providers.base import ChangeSet, Window
from afterword.providers.local.calendar import IcsCalendar

BERLIN = ZoneInfo("Europe/Berlin")
ROOTS = (Path(icalendar.__file__).parent / "tests",
         Path(recurring_ical_events.__file__).parent / "test" / "calendars")
FILES = sorted(p for root in ROOTS for p in root.rglob("*.ics"))
_DATE = re.compile(rb"DTSTART[^:\n]*:\s*(\d{4})(\d{2})(\d{2})")


def window_of(data: bytes) -> Window:
    """Three years from the file's first start (every file gets a window with events)."""
    starts = [datetime(int(y), int(m), int(d), tzinfo=UTC) for y, m, d in _DATE.findall(data)
              if 1900 <= int(y) <= 2900 and 1 <= int(m) <= 12 and 1 <= int(d) <= 28]
    first = min(starts, default=datetime(2020, 1, 1, tzinfo=UTC))
    return Window(first - timedelta(days=2), first + timedelta(days=3 * 365))


def afterword(path: Path, window: Window, *, fast: bool) -> ChangeSet | str:
    """What the local provider reads from `path`, or its one-line reason for refusing."""
    source = IcsCalendar(path, account="local", timezone=BERLIN, plain_fast_path=fast)
    try:
        return source.changes(window, None)
    except InputError as err:
        return str(err)


def wall(value: Any) -> datetime:
    """A start as wall-clock time, the way both readings can be compared."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    assert isinstance(value, date)
    return datetime.combine(value, time(0))


def icalendar_reading(data: bytes, window: Window) -> set[tuple[str, datetime]] | None:
    """The events icalendar and recurring-ical-events read from the file themselves;
    None when they refuse it."""
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
        events = set()
        for calendar in calendars:
            for occurrence in recurring_ical_events.of(calendar).between(window.start,
                                                                         window.end):
                events.add((str(occurrence.get("UID", "")).strip(),
                            wall(occurrence["DTSTART"].dt)))
        return events
    except Exception:  # whatever they raise: they do not read this file
        return None


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_peer_calendar_reads_the_same_as_icalendar(path: Path) -> None:
    data = path.read_bytes()
    window = window_of(data)
    fast = afterword(path, window, fast=True)
    slow = afterword(path, window, fast=False)
    if isinstance(fast, str):
        assert fast == slow
        assert "\n" not in fast and fast.startswith(f"{path}: ")
        assert icalendar_reading(data, window) in (None, set())  # they read nothing either
        return
    assert not isinstance(slow, str)
    ours = sorted(((e.ical_uid, wall(e.start)) for e in (*fast.events,)), key=str)
    assert ours == sorted(((e.ical_uid, wall(e.start)) for e in slow.events), key=str)
    assert sorted(fast.removed) == sorted(slow.removed)
    assert sorted(fast.warnings) == sorted(slow.warnings)
    for warning in fast.warnings:
        assert "\n" not in warning and warning.startswith(f"{path}: ")
        assert "Traceback" not in warning
    theirs = icalendar_reading(data, window)
    if theirs is None:
        return  # they refuse the file; we read what we could (and said what we could not)
    read = {(e.ical_uid, wall(e.start)) for e in fast.events}
    cancelled = {uid for uid, _ in theirs} & {i.split("_")[0] for i in fast.removed}
    named = " ".join(fast.warnings)
    for uid, start in theirs - read:
        # An event they read and we do not is a cancelled one or named in a warning.
        assert uid in cancelled or (uid and uid in named) or not uid, (uid, start)
    assert not read - theirs, "Afterword read events icalendar does not"
