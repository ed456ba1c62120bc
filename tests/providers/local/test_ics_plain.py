"""The fast reader of plain .ics events gives exactly what icalendar gives.

Both ways of reading run on the same files (the fixture exports and generated calendars
full of the awkward parts: folding, escapes, quoted parameters, zones, durations, alarms,
repeated UIDs, series) and must agree event for event, offsets included.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterword.daemon.errors import InputError
from afterword.providers.base import ChangeSet, Window
from afterword.providers.local import ics_plain, ics_text
from afterword.providers.local.calendar import IcsCalendar
from tests.conftest import calendar, vevent

DATA = Path(__file__).parents[3] / "tests" / "data" / "events"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=10), NOW + timedelta(days=10))


def read(path: Path, window: Window, *, fast: bool) -> ChangeSet:
    """The changes as the local provider reports them, with or without the fast path."""
    source = IcsCalendar(path, account="local", timezone=BERLIN,
                         my_emails=("alex@example.com",), plain_fast_path=fast)
    return source.changes(window, None)


def summary(changes: ChangeSet) -> tuple[object, ...]:
    """Everything a user could see of a reading, offsets of every time included."""
    events = sorted(((e, e.start.utcoffset(), e.end.utcoffset()) for e in changes.events),
                    key=lambda item: item[0].id)
    return (events, sorted(changes.removed), sorted(changes.warnings), changes.full)


def assert_same(path: Path, window: Window = WINDOW) -> None:
    """Both readings of `path` agree (or both refuse it with the same error)."""
    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(summary(read(path, window, fast=fast)))
        except Exception as err:  # the error itself must match too
            outcomes.append((type(err).__name__, str(err)))
    assert outcomes[0] == outcomes[1]


def test_the_fixture_exports_read_the_same_both_ways() -> None:
    wide = Window(datetime(2000, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))
    for path in sorted(DATA.glob("*.ics")):
        assert_same(path, wide)
        assert read(path, wide, fast=True).events


def test_plain_events_skip_icalendar_and_series_do_not(tmp_path: Path) -> None:
    start = NOW - timedelta(hours=3)
    plain = vevent("plain-1", "Interview at Acme", start,
                   attendees=['CN="Rivera, Jane";PARTSTAT=ACCEPTED:mailto:jane@acme.example'])
    series = vevent("weekly-1", "Weekly sync", start, extra=["RRULE:FREQ=WEEKLY;COUNT=3"])
    found = ics_text.structure(calendar(plain, series).encode())
    read = [ics_plain.plain(block.lines, None) for block in found.events]
    assert read[0] is not None and str(read[0]["UID"]) == "plain-1"
    assert read[0]["ATTENDEE"].params["CN"] == "Rivera, Jane"
    assert ics_plain.in_window(read[0], WINDOW)
    assert read[1] is None  # a series: icalendar's
    # A truncated file loses only the event cut short, with a warning naming it.
    cut = ics_text.structure(calendar(series, plain).encode()[:-40])
    assert [b.uid for b in cut.events] == ["weekly-1"]
    assert cut.problems == ["line 12: skipped event plain-1: not closed: the file ends "
                            "before END:VEVENT"]


def test_a_mixed_file_reads_the_same_both_ways(tmp_path: Path) -> None:
    start = NOW - timedelta(hours=5)
    path = tmp_path / "mixed.ics"
    path.write_text(calendar(
        vevent("a", "Interview with Jane", start,
               attendees=['CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane@acme.example',
                          'CN=Alex;PARTSTAT=ACCEPTED:mailto:alex@example.com']),
        vevent("b", "Weekly", start, extra=["RRULE:FREQ=DAILY;COUNT=4"]),
        vevent("c", "Moved", start, extra=["STATUS:CANCELLED"]),
    ), newline="")
    assert_same(path)
    events = read(path, WINDOW, fast=True).events
    assert {e.title for e in events} == {"Interview with Jane", "Weekly"}


TRICKY_LINES = [
    "ATTENDEE;CN=Jane;PARTSTAT= ACCEPTED:mailto:jane@acme.example",
    'ATTENDEE;CN="Doe, Jane";PARTSTAT=DECLINED:mailto:jane@acme.example',
    "ATTENDEE;CN=Smith\\, John:mailto:john@acme.example",
    "ATTENDEE;CN=Jane^'s:mailto:jane@acme.example",
    "ATTENDEE;CN=A,B:mailto:ab@acme.example",
    "ORGANIZER;CN=\"Boss: Big\":mailto:boss@acme.example",
    "SUMMARY;LANGUAGE=de:Gespr\u00e4ch\\, zweite Runde",
    "DESCRIPTION:Line one\\nLine two\\; and \\\\ more",
    "CATEGORIES:Interview\\,Hiring,Work",
    r"CATEGORIES:Back\\,slash,",
    "DTEND;TZID=America/New_York:20261126T090000",
    "DURATION:P1DT2H",
]


def test_tricky_lines_read_the_same_both_ways(tmp_path: Path) -> None:
    for index, line in enumerate(TRICKY_LINES):
        path = tmp_path / f"tricky-{index}.ics"
        extra = [line] if line.startswith(("ATTENDEE", "ORGANIZER", "CATEGORIES")) else []
        event_lines = vevent(f"t{index}", "Interview", NOW - timedelta(hours=2),
                             extra=extra).split("\r\n")
        if not extra:  # a replacement for the event's own line of that name
            name = line.split(":")[0].split(";")[0]
            event_lines = [x for x in event_lines if not x.startswith(name)] if \
                name in ("SUMMARY", "DTEND") else event_lines
            event_lines.insert(-1, line)
        path.write_text(calendar("\r\n".join(event_lines)), newline="")
        assert_same(path)
        assert read(path, WINDOW, fast=True).events, line


# -- generated calendars ---------------------------------------------------------------

WEIRD = st.lists(st.sampled_from([*"aZé ,;:\\\"'^%nN\t", "\\n", "\\,", "\\;"]),
                 max_size=12).map("".join)
# Mostly what people type, sometimes what breaks parsers.
TEXT = st.one_of(st.text(alphabet="abcXYZ éü-.'", max_size=12), WEIRD)
VALUE_TEXT = st.one_of(TEXT, st.sampled_from(["a\\, b", "x\\ny", "semi\\;colon", "c:d"]))
ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata",
                         "W. Europe Standard Time", "Mars/Olympus", "/mozilla/Europe/Berlin"])
KINDS = st.sampled_from(["utc", "floating", "zone", "date", "date-value"])


@st.composite
def when(draw: st.DrawFn, name: str, moment: datetime, kind: str) -> str:
    """A DTSTART/DTEND line in one of the forms calendars write."""
    if kind == "utc":
        return f"{name}:{moment:%Y%m%dT%H%M%SZ}"
    if kind == "floating":
        return f"{name}:{moment:%Y%m%dT%H%M%S}"
    if kind == "zone":
        zone = draw(ZONES)
        tzid = f'"{zone}"' if draw(st.booleans()) else zone
        return f"{name};TZID={tzid}:{moment:%Y%m%dT%H%M%S}"
    value = ";VALUE=DATE" if kind == "date-value" else ""
    return f"{name}{value}:{moment:%Y%m%d}"


@st.composite
def event(draw: st.DrawFn, uid: str) -> list[str]:
    """One VEVENT with a random mix of the properties the translator reads."""
    start = NOW + timedelta(hours=draw(st.integers(-300, 300)),
                            minutes=draw(st.sampled_from([0, 30, 45])))
    kind = draw(KINDS)
    lines = ["BEGIN:VEVENT", f"UID:{uid}", draw(when("DTSTART", start, kind))]
    ending = draw(st.sampled_from(["dtend", "dtend", "duration", "none"]))
    if ending == "dtend":
        end_kind = draw(st.one_of(st.just(kind), KINDS))
        length = timedelta(minutes=draw(st.sampled_from([0, 45, 90, 24 * 60, -30])))
        lines.append(draw(when("DTEND", start + length, end_kind)))
    elif ending == "duration":
        lines.append("DURATION:" + draw(st.sampled_from(
            ["PT45M", "PT1H30M", "P1D", "P1W", "PT0S", "-PT1H", "P1DT2H", "PT90M"])))
    lines.append(f"SUMMARY:{draw(VALUE_TEXT)}")
    for _ in range(draw(st.integers(0, 3))):
        cn = draw(TEXT)
        cn_param = draw(st.sampled_from([f'CN="{cn}"', f"CN={cn}", "", "CN=A,B"]))
        extra = draw(st.sampled_from(["", ";PARTSTAT=DECLINED", ";CUTYPE=ROOM",
                                      ";ROLE=OPT-PARTICIPANT", ";PARTSTAT=accepted",
                                      "; PARTSTAT=ACCEPTED", ";PARTSTAT= ACCEPTED",
                                      ";X-NUM-GUESTS=0"]))
        params = ";".join(p for p in (cn_param + extra).split(";") if p)
        address = draw(st.sampled_from(["mailto:jane@acme.example", "MAILTO:Bob@Acme.Example",
                                        "mailto:alex@example.com", "urn:x", "mailto:a\\,b@x"]))
        lines.append(f"ATTENDEE{';' + params if params else ''}:{address}")
    if draw(st.booleans()):
        lines.append(f"ORGANIZER;CN={draw(TEXT).replace(';', '')}:mailto:boss@acme.example")
    optional = {
        "DESCRIPTION": f"DESCRIPTION:{draw(VALUE_TEXT)} https://zoom.us/j/1?x={draw(TEXT)}",
        "LOCATION": f"LOCATION:{draw(VALUE_TEXT)}",
        "STATUS": "STATUS:" + draw(st.sampled_from(["CANCELLED", "TENTATIVE", "confirmed"])),
        "CATEGORIES": f"CATEGORIES:{draw(VALUE_TEXT)},{draw(TEXT)}",
        "X-GOOGLE-CONFERENCE": "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij",
        "RRULE": "RRULE:FREQ=DAILY;COUNT=2",
        "RECURRENCE-ID": f"RECURRENCE-ID:{start:%Y%m%dT%H%M%SZ}",
        "SECOND-SUMMARY": f"SUMMARY:{draw(TEXT)}",
        "SUMMARY-VALUE": f"SUMMARY;VALUE=TEXT:{draw(TEXT)}",
        "VALARM": "BEGIN:VALARM\r\nACTION:EMAIL\r\nATTENDEE:mailto:x@y.example\r\n"
                  "DESCRIPTION:remind\r\nEND:VALARM",
    }
    rare = ("RRULE", "RECURRENCE-ID", "SECOND-SUMMARY", "SUMMARY-VALUE")
    for key in draw(st.lists(st.sampled_from(sorted(optional)), max_size=4, unique=True)):
        if key not in rare or draw(st.integers(0, 3)) == 0:
            lines.append(optional[key])
    lines.append("END:VEVENT")
    return lines


def fold(line: str, width: int) -> str:
    """RFC 5545 folding at `width` characters (what exporters do with long lines)."""
    if len(line) <= width:
        return line
    return line[:width] + "\r\n " + fold(line[width:], width)


# icalendar warns that it guesses "/mozilla/Europe/Berlin" means Europe/Berlin: that
# vendor-prefixed TZID is generated on purpose (it must go the slow way).
@pytest.mark.filterwarnings("ignore:Timezone '/mozilla/")
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(uids=st.lists(st.sampled_from(["u1", "u2", "u3", "u4", "u\\,5"]), min_size=1,
                     max_size=5),
       data=st.data(), width=st.sampled_from([0, 30, 75]), lf_only=st.booleans(),
       x_wr=st.booleans())
def test_generated_calendars_read_the_same_both_ways(
        tmp_path: Path, uids: list[str], data: st.DataObject, width: int, lf_only: bool,
        x_wr: bool) -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN"]
    if x_wr:
        lines.append("X-WR-TIMEZONE:America/New_York")
    for uid in uids:
        lines.extend("\r\n".join(data.draw(event(uid))).split("\r\n"))
    lines.append("END:VCALENDAR")
    if width:
        lines = [fold(line, width) for line in lines]
    text = "\r\n".join(lines) + "\r\n"
    if lf_only:
        text = text.replace("\r\n", "\n")
    path = tmp_path / "fuzz.ics"
    path.write_bytes(text.encode())
    assert_same(path)


def test_times_in_daylight_saving_gaps_and_folds_read_the_same_both_ways(
        tmp_path: Path) -> None:
    wide = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    moments = [("America/New_York", "20261101T013000"),  # happens twice (fold)
               ("America/New_York", "20260308T023000"),  # never happens (gap)
               ("Europe/Berlin", "20260329T023000"), ("Europe/Berlin", "20261025T023000")]
    for index, (zone, moment) in enumerate(moments):
        path = tmp_path / f"dst-{index}.ics"
        path.write_text(calendar("\r\n".join([
            "BEGIN:VEVENT", f"UID:dst-{index}", f"DTSTART;TZID={zone}:{moment}",
            "DURATION:PT1H", "SUMMARY:Interview", "END:VEVENT"])), newline="")
        assert_same(path, wide)
        assert read(path, wide, fast=True).events


# -- damaged and concatenated files ----------------------------------------------------

DAMAGE = st.sampled_from(["none", "stray", "drop-end", "cut", "concat", "garbage-line",
                          "nested"])


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")) // 3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(uids=st.lists(st.sampled_from(["u1", "u2", "u3"]), min_size=1, max_size=4),
       data=st.data(), damage=st.lists(DAMAGE, min_size=1, max_size=3),
       where=st.integers(0, 40))
def test_damaged_and_concatenated_calendars_read_the_same_both_ways(
        tmp_path: Path, uids: list[str], data: st.DataObject, damage: list[str],
        where: int) -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN"]
    for uid in uids:
        lines.extend("\r\n".join(data.draw(event(uid))).split("\r\n"))
    lines.append("END:VCALENDAR")
    for kind in damage:
        at = 1 + where % max(1, len(lines) - 1)
        if kind == "stray":
            lines.insert(at, "X")
        elif kind == "drop-end":
            ends = [i for i, line in enumerate(lines) if line.startswith("END:")]
            if ends:
                del lines[ends[where % len(ends)]]
        elif kind == "cut":
            lines = lines[:at]
        elif kind == "concat":
            second = ["BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:PUBLISH"]
            second += "\r\n".join(data.draw(event("u9"))).split("\r\n")
            lines += [*second, "END:VCALENDAR"]
        elif kind == "garbage-line":
            lines.insert(at, "DTSTART;TZID=\"unclosed:20261126T100000")
        elif kind == "nested":
            lines.insert(at, "BEGIN:VEVENT")
    path = tmp_path / "damaged.ics"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert_same(path)
    try:
        changes = read(path, WINDOW, fast=True)
    except InputError as err:
        assert "\n" not in str(err) and str(err).startswith(f"{path}: ")
        return
    for warning in changes.warnings:
        assert "\n" not in warning and warning.startswith(f"{path}: ")


def test_a_file_that_is_not_utf8_reads_the_same_both_ways(tmp_path: Path) -> None:
    # Old Outlook and Lotus exports are Latin-1: icalendar replaces what is not UTF-8.
    path = tmp_path / "latin1.ics"
    path.write_bytes(calendar(vevent("l1", "Vorstellungsgespräch bei Müller",
                                     NOW - timedelta(hours=2))).encode("latin-1"))
    assert_same(path)
    [event] = read(path, WINDOW, fast=True).events
    assert event.title == "Vorstellungsgespr\ufffdch bei M\ufffdller"
