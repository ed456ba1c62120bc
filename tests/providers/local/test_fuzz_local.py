"""Fuzzing: config files and .ics text never cause a traceback, only clear errors."""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afterword.daemon.config import parse
from afterword.daemon.errors import ConfigError, InputError
from afterword.providers.base import Window
from afterword.providers.local.calendar import IcsCalendar

KEYS = ["me", "accounts", "detect", "recipients", "drafts", "reminders", "daemon", "secrets",
        "name", "provider", "emails", "timezone", "calendar", "maildir", "delay", "max_age",
        "channels", "type", "url", "command", "quiet_hours", "keywords", "patterns",
        "rules", "vars", "template", "backend", "poll_interval", "max_per_interview"]
scalars = st.one_of(
    st.text(max_size=20), st.integers(-5, 10**6), st.booleans(), st.floats(allow_nan=False),
    st.sampled_from(["local", "google", "microsoft", "30m", "2d", "21:00-08:00", "file",
                     "webhook", "http://x/", "Europe/Berlin", "(", "a@b.co"]),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=8))
def test_any_config_data_is_a_config_or_a_config_error(data: dict[str, Any]) -> None:
    try:
        parse(data, base_dir=Path("/tmp"))
    except ConfigError as err:
        assert err.problems and all(isinstance(p, str) and p for p in err.problems)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_toml_text_is_parsed_or_reported(text: str) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    try:
        parse(data, base_dir=Path("/tmp"))
    except ConfigError as err:
        assert err.problems


PROPS = ["DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "RECURRENCE-ID", "SUMMARY",
         "ATTENDEE", "ORGANIZER", "STATUS", "CATEGORIES", "DESCRIPTION", "UID", "LOCATION"]
PARAMS = ["", ";TZID=Europe/Berlin", ";TZID=Nowhere/Zone", ";VALUE=DATE", ";CN=\"Doe, Jane\"",
          ";CUTYPE=ROOM", ";PARTSTAT=DECLINED", ";TZID=Pacific Standard Time"]
VALUES = ["20261120T100000Z", "20261120T100000", "20261120", "PT1H", "-PT1H", "FREQ=DAILY;COUNT=3",
          "FREQ=WEEKLY;UNTIL=20261101T000000Z", "FREQ=BOGUS", "mailto:jane@acme.example",
          "jane@acme.example", "CANCELLED", "Interview", "\\n\\,;:", "", "99999999T999999"]
lines = st.tuples(st.sampled_from(PROPS), st.sampled_from(PARAMS),
                  st.sampled_from(VALUES) | st.text(max_size=30)).map(
    lambda t: f"{t[0]}{t[1]}:{t[2]}".replace("\r", " ").replace("\n", " "))


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(lines, max_size=10), min_size=1, max_size=3))
def test_any_ics_is_events_or_an_input_error(tmp_path: Path, events: list[list[str]]) -> None:
    body = "".join("BEGIN:VEVENT\r\n" + "".join(f"{ln}\r\n" for ln in ev) + "END:VEVENT\r\n"
                   for ev in events)
    path = tmp_path / "fuzz.ics"
    path.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n")
    source = IcsCalendar(path, account="a", timezone=ZoneInfo("Europe/Berlin"))
    window = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    try:
        changes = source.changes(window, None)
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    for event in changes.events:
        assert event.start.tzinfo is not None and event.end.tzinfo is not None
