"""CalDAV calendars against a real Radicale: first sync, changes, deletions, recurrence, cost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.errors import AuthExpired, TransientError
from afterword.providers.base import ChangeSet, Window
from afterword.providers.caldav.calendar import ATTEMPTS, CalDavCalendar
from afterword.providers.caldav.http import CalDavFaults, make_client
from tests.providers.caldav.conftest import interviews_calendar, vcalendar, vevent
from tests.providers.caldav.http_relay import http_relay
from tests.providers.caldav.servers import PASSWORD, USER, Radicale

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/New_York")
SLEEPS: list[float] = []  # retries wait here instead of sleeping
PANEL = (("Jane Doe", "jane@acme.example"), ("Sam Lee", "sam@acme.example"))


def window(now: datetime = NOW) -> Window:
    return Window(now - timedelta(days=8), now + timedelta(days=14))


def source(server: Radicale, clock: Callable[[], datetime] = lambda: NOW,
           password: str = PASSWORD, selection: tuple[str, ...] = (),
           url: str = "") -> CalDavCalendar:
    url = url or server.url
    faults = CalDavFaults.for_url("fastmail", url)
    return CalDavCalendar(
        lambda: make_client(url, USER, password, ca_file=None, timeout=10), faults,
        account="fastmail", selection=selection, timezone=ZONE,
        my_emails=("alex@example.com",), clock=clock, sleep=SLEEPS.append)


def add(server: Radicale, *events: str, zones: str = "") -> Any:
    return interviews_calendar(server).save_event(vcalendar(*events, zones=zones))


def ids(changes: ChangeSet) -> list[str]:
    return sorted(e.id for e in changes.events)


def test_first_sync_reads_the_window_and_skips_task_lists(radicale: Radicale) -> None:
    add(radicale, vevent("iv1", "Interview with Acme", NOW - timedelta(hours=3), guests=PANEL))
    add(radicale, vevent("old", "Interview long ago", NOW - timedelta(days=90)))
    add(radicale, vevent("far", "Interview far ahead", NOW + timedelta(days=60)))
    changes = source(radicale).changes(window(), None)
    assert changes.full and ids(changes) == ["iv1"]
    [event] = changes.events
    assert event.title == "Interview with Acme" and event.start == NOW - timedelta(hours=3)
    assert {a.email for a in event.attendees if not a.is_self} == {
        "jane@acme.example", "sam@acme.example", "rita@acme.example"} - {"rita@acme.example"} \
        or {a.email for a in event.attendees if not a.is_self} >= {"jane@acme.example"}
    assert [a.email for a in event.attendees if a.is_self] == ["alex@example.com"]
    assert event.calendar.endswith("/alex/interviews/")
    assert not any("/tasks/" in r for r in radicale.requests() if r.startswith("REPORT"))


def test_an_idle_cycle_is_one_report_per_calendar_even_in_a_fresh_process(
        radicale: Radicale) -> None:
    for n in range(40):
        add(radicale, vevent(f"e{n}", f"Meeting {n}", NOW - timedelta(days=3, hours=-n)))
    first = source(radicale).changes(window(), None)
    assert len(first.events) == 40
    before = len(radicale.requests())
    cursor = first.cursor
    for _ in range(3):
        again = source(radicale).changes(window(), cursor)  # a new process each time
        assert not again.events and not again.removed and not again.full
        cursor = again.cursor
    assert radicale.requests()[before:] == ["REPORT /alex/interviews/"] * 3


def test_changes_and_deletions_come_through_the_sync_token(radicale: Radicale) -> None:
    first_event = add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5),
                                       guests=PANEL))
    add(radicale, vevent("b", "Interview B", NOW - timedelta(hours=4)))
    cal = source(radicale)
    cursor = cal.changes(window(), None).cursor
    add(radicale, vevent("c", "Interview C", NOW - timedelta(hours=2)))
    add(radicale, vevent("b", "Interview B moved", NOW - timedelta(hours=1)))
    first_event.delete()
    changes = cal.changes(window(), cursor)
    assert not changes.full
    assert ids(changes) == ["b", "c"] and changes.removed == ("a",)
    assert {e.id: e.title for e in changes.events}["b"] == "Interview B moved"
    # Moved out of the window: removed, not upserted.
    add(radicale, vevent("c", "Interview C", NOW + timedelta(days=40)))
    later = cal.changes(window(), changes.cursor)
    assert later.events == () and later.removed == ("c",)


def test_recurrence_overrides_and_zones_go_through_the_local_reader(radicale: Radicale) -> None:
    zones = ("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\n"
             "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
             "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
             "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
             "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")
    series = ("BEGIN:VEVENT\r\nUID:loop\r\nDTSTAMP:20260101T000000Z\r\n"
              "DTSTART;TZID=Europe/Berlin:20261130T100000\r\n"
              "DTEND;TZID=Europe/Berlin:20261130T110000\r\nRRULE:FREQ=DAILY;COUNT=10\r\n"
              "EXDATE;TZID=Europe/Berlin:20261202T100000\r\n"
              "SUMMARY:Interview loop\r\nEND:VEVENT\r\n"
              "BEGIN:VEVENT\r\nUID:loop\r\nDTSTAMP:20260101T000000Z\r\n"
              "RECURRENCE-ID;TZID=Europe/Berlin:20261203T100000\r\n"
              "DTSTART;TZID=Europe/Berlin:20261203T150000\r\n"
              "DTEND;TZID=Europe/Berlin:20261203T160000\r\n"
              "SUMMARY:Interview loop (moved)\r\nEND:VEVENT\r\n")
    add(radicale, series, zones=zones)
    changes = source(radicale).changes(window(), None)
    by_id = {e.id: e for e in changes.events}
    assert "loop_20261202T090000Z" not in by_id  # the EXDATE
    moved = by_id["loop_20261203T090000Z"]
    assert moved.title == "Interview loop (moved)"
    assert moved.start == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert by_id["loop_20261130T090000Z"].start == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert len(by_id) == 9


def test_an_edited_series_removes_the_occurrences_it_lost(radicale: Radicale) -> None:
    start = NOW - timedelta(days=2)
    rule = "RRULE:FREQ=DAILY;COUNT=4"
    add(radicale, vevent("s", "Interview series", start, extra=rule))
    cal = source(radicale)
    first = cal.changes(window(), None)
    assert len(first.events) == 4
    add(radicale, vevent("s", "Interview series", start, extra="RRULE:FREQ=DAILY;COUNT=2"))
    changes = cal.changes(window(), first.cursor)
    assert len(changes.removed) == 2 and len(changes.events) == 2
    assert set(changes.removed).isdisjoint(ids(changes))


def test_an_expired_token_falls_back_to_a_full_read(radicale: Radicale) -> None:
    add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5)))
    cal = source(radicale)
    cursor = cal.changes(window(), None).cursor
    assert cursor is not None
    broken = cursor.replace("http://radicale.org/ns/sync/", "http://radicale.org/ns/sync/0")
    changes = cal.changes(window(), broken)
    assert changes.full and ids(changes) == ["a"]


def test_a_day_later_the_window_is_read_again(radicale: Radicale) -> None:
    add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5)))
    cal = source(radicale)
    cursor = cal.changes(window(), None).cursor
    later = NOW + timedelta(days=1, minutes=1)
    changes = source(radicale, clock=lambda: later).changes(window(later), cursor)
    assert changes.full


def test_a_malformed_object_is_a_warning_naming_the_server_and_the_rest_is_read(
        radicale: Radicale) -> None:
    add(radicale, vevent("good", "Interview good", NOW - timedelta(hours=5)))
    add(radicale, vevent("bad", "Interview bad", NOW - timedelta(hours=4), minutes=59))
    with http_relay(radicale.port) as relay:
        # The server sends one object broken (Radicale never would: the relay breaks it).
        relay.faults.rewrite = (b"DTEND:20261206T085900Z", b"DTEND:not-a-date")
        changes = source(radicale, url=relay.url).changes(window(), None)
    assert ids(changes) == ["good"]
    assert not changes.full  # an interview may hide in the unreadable one: remove nothing
    assert len(changes.warnings) == 1
    assert f"CalDAV 127.0.0.1:{relay.port}" in changes.warnings[0]
    assert "bad" in changes.warnings[0] and "\n" not in changes.warnings[0]


def test_one_failed_read_is_retried_within_the_cycle(radicale: Radicale) -> None:
    add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5)))
    with http_relay(radicale.port) as relay:
        cal = source(radicale, url=relay.url)
        relay.faults.status = [500, 401]  # a server hiccup, then one refused password
        assert ids(cal.changes(window(), None)) == ["a"]


@pytest.mark.parametrize("fault", ["503", "500", "drop"])
def test_server_errors_and_dropped_connections_are_one_transient_line(
        radicale: Radicale, fault: str) -> None:
    add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5)))
    with http_relay(radicale.port) as relay:
        cal = source(radicale, url=relay.url)
        cursor = cal.changes(window(), None).cursor
        SLEEPS.clear()
        if fault == "drop":
            relay.faults.drop = ATTEMPTS
        else:
            relay.faults.status = [int(fault)] * ATTEMPTS
        with pytest.raises(TransientError) as caught:
            cal.changes(window(), cursor)
        assert SLEEPS == [1.0, 2.0, 4.0]  # backoff between the attempts of one cycle
        text = str(caught.value)
        assert text.startswith(f"account 'fastmail': CalDAV 127.0.0.1:{relay.port}: ")
        assert "\n" not in text and PASSWORD not in text
        assert cal.changes(window(), cursor).cursor  # the next cycle is fine again


def test_a_wrong_password_is_needs_sign_in(radicale: Radicale) -> None:
    with pytest.raises(AuthExpired) as caught:
        source(radicale, password="wrong").changes(window(), None)
    assert "fastmail" in str(caught.value) and f"127.0.0.1:{radicale.port}" in str(
        caught.value)
    assert "wrong" not in str(caught.value)


def test_a_server_that_is_down_is_one_transient_line(radicale: Radicale) -> None:
    radicale.stop()
    with pytest.raises(TransientError) as caught:
        source(radicale).changes(window(), None)
    text = str(caught.value)
    assert text.startswith(f"account 'fastmail': CalDAV 127.0.0.1:{radicale.port}")
    assert "\n" not in text


def test_calendars_are_chosen_by_display_name(radicale: Radicale) -> None:
    add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5)))
    assert ids(source(radicale, selection=("Interviews",)).changes(window(), None)) == ["a"]
    with pytest.raises(Exception, match="no calendar named 'Nope'"):
        source(radicale, selection=("Nope",)).changes(window(), None)


def test_lookup_finds_an_occurrence_and_a_cancelled_event(radicale: Radicale) -> None:
    add(radicale, vevent("s", "Interview series", NOW - timedelta(days=1),
                         extra="RRULE:FREQ=DAILY;COUNT=3"))
    add(radicale, vevent("x", "Interview off", NOW - timedelta(hours=2),
                         extra="STATUS:CANCELLED"))
    cal = source(radicale)
    instance = f"s_{NOW - timedelta(days=1):%Y%m%dT%H%M%SZ}"
    found = cal.lookup(instance)
    assert found is not None and found.event is not None and found.event.id == instance
    off = cal.lookup("x")
    assert off is not None and off.cancelled
    assert cal.get_event("x") is None and cal.lookup("nope") is None


def test_a_server_without_sync_tokens_is_followed_by_its_ctag(radicale: Radicale) -> None:
    add(radicale, vevent("a", "Interview A", NOW - timedelta(hours=5)))
    with http_relay(radicale.port) as relay:
        # A server that does not offer DAV:sync-token (the relay hides it).
        relay.faults.rewrite = (b"sync-token", b"hidden-property")
        cal = source(radicale, url=relay.url)
        first = cal.changes(window(), None)
        assert ids(first) == ["a"] and first.cursor is not None and '"ctag:' in first.cursor
        relay.faults.seen.clear()
        idle = cal.changes(window(), first.cursor)
        assert idle.events == () and idle.removed == () and not idle.full
        assert relay.faults.seen == ["PROPFIND /alex/interviews/"]  # the ctag, nothing else
        add(radicale, vevent("b", "Interview B", NOW - timedelta(hours=2)))
        changed = cal.changes(window(), idle.cursor)
        assert changed.full and ids(changed) == ["a", "b"]
