"""The Microsoft provider's calendar: delta rounds against the fake Graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.errors import TransientError
from afterword.daemon.model import EventStatus, Response
from afterword.providers.microsoft.http import GraphError
from afterword.providers.microsoft.provider import MicrosoftProvider
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import (  # noqa: F401 (fixtures)
    ME,
    NOW,
    PANEL,
    Clock,
    authority_fixture,
    graph_fixture,
    make_provider,
    provider_fixture,
    sign_in,
    window,
)

# -- calendar --------------------------------------------------------------------------


def test_full_round_then_an_idle_cycle_is_one_small_request(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    for i in range(120):
        graph.add_event(ME, f"Meeting {i}", NOW - timedelta(days=3) + timedelta(hours=i))
    graph.add_event(ME, "Far away", NOW + timedelta(days=60))
    calendar = provider.calendar()

    first = calendar.changes(window(), None)
    assert first.full and len(first.events) == 120
    assert all(e.start.tzinfo is not None for e in first.events)
    graph.reset_counters()

    idle = calendar.changes(window(), first.cursor)

    assert not idle.full and idle.events == () and idle.removed == ()
    assert graph.requests == 1
    assert graph.bytes_out < 600
    assert graph.log[0]["path"] == "/me/calendarView/delta"
    assert "$deltatoken" in graph.log[0]["query"]


def test_delta_applies_changes_cancellations_and_removals(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    keep = graph.add_event(ME, "Coffee", NOW + timedelta(days=1))
    gone = graph.add_event(ME, "Interview - Acme", NOW + timedelta(days=2), attendees=PANEL)
    off = graph.add_event(ME, "Phone screen", NOW + timedelta(days=3), attendees=PANEL)
    moved = graph.add_event(ME, "Onsite", NOW + timedelta(days=4), attendees=PANEL)
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor

    graph.update_event(ME, keep, subject="Coffee chat", categories=["Interview"])
    graph.delete_event(ME, gone)
    graph.update_event(ME, off, isCancelled=True)
    graph.update_event(ME, moved, start=NOW + timedelta(days=90),
                       end=NOW + timedelta(days=90, hours=1))
    changes = calendar.changes(window(), cursor)

    assert not changes.full
    assert [(e.id, e.title, e.categories) for e in changes.events] == [
        (keep, "Coffee chat", ("Interview",))]
    assert set(changes.removed) == {gone, off, moved}


def test_occurrences_are_read_in_full_through_batch_with_item_retry(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps)
    sign_in(provider, authority)
    ids = [graph.add_event(ME, f"Weekly interview loop {i}", NOW + timedelta(days=i),
                           attendees=PANEL, type="occurrence", seriesMasterId="SERIES1")
           for i in range(1, 4)]
    graph.fail("GET", ids[1], 429, in_batch=True, retry_after=3)

    changes = provider.calendar().changes(window(), None)

    by_id = {e.id: e for e in changes.events}
    assert set(by_id) == set(ids)
    assert by_id[ids[1]].series_id == "SERIES1"
    assert [a.email for a in by_id[ids[1]].attendees][:2] == ["jane@acme.com", "raj@acme.com"]
    batches = [e for e in graph.log if e["path"] == "/$batch"]
    assert len(batches) == 2  # the throttled item alone was asked again
    assert sleeps == [3]


def test_batch_item_refusals_skip_one_event_and_missing_ones_count_as_removed(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor
    ids = [graph.add_event(ME, f"Interview loop {i}", NOW + timedelta(days=i),
                           attendees=PANEL, type="occurrence", seriesMasterId="S")
           for i in range(1, 4)]
    graph.fail("GET", ids[0], 403, in_batch=True)
    graph.fail("GET", ids[1], 404, in_batch=True)

    changes = calendar.changes(window(), cursor)

    assert [e.id for e in changes.events] == [ids[2]]
    assert ids[1] in changes.removed and ids[0] not in changes.removed

    graph.fail("GET", ids[2], 503, in_batch=True, times=10)
    graph.update_event(ME, ids[2], subject="Final interview loop")
    with pytest.raises(TransientError):  # the cursor is not advanced past it
        calendar.changes(window(), changes.cursor)


def test_configured_calendars_are_each_followed(authority: FakeAuthority,
                                                graph: FakeGraph) -> None:
    provider = make_provider(authority, graph, calendars=("team", "jobs"))
    sign_in(provider, authority)
    graph.add_event(ME, "Team sync", NOW + timedelta(days=1), calendar="team")
    graph.add_event(ME, "Interview", NOW + timedelta(days=1), calendar="jobs")
    graph.add_event(ME, "Private", NOW + timedelta(days=1))  # the default calendar
    calendar = provider.calendar()
    first = calendar.changes(window(), None)
    assert sorted(e.title for e in first.events) == ["Interview", "Team sync"]
    graph.reset_counters()
    calendar.changes(window(), first.cursor)
    assert sorted(e["path"] for e in graph.log) == [
        "/me/calendars/jobs/calendarView/delta", "/me/calendars/team/calendarView/delta"]


def test_expired_sync_state_starts_a_new_full_round(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    graph.add_event(ME, "Interview", NOW + timedelta(days=1))
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor
    graph.expire_sync_state()

    changes = calendar.changes(window(), cursor)

    assert changes.full and len(changes.events) == 1
    assert [e["status"] for e in graph.log if "delta" in e["path"]][-2:] == [410, 200]


def test_the_window_slides_with_a_new_round_each_day(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    clock = Clock(NOW)
    provider = make_provider(authority, graph, clock=clock)
    sign_in(provider, authority)
    later = graph.add_event(ME, "Final interview", NOW + timedelta(days=14, hours=12))
    calendar = provider.calendar()
    first = calendar.changes(window(), None)
    assert later in {e.id for e in first.events}  # the round reaches a day past the window

    clock.now = NOW + timedelta(hours=6)
    assert not calendar.changes(window(clock.now), first.cursor).full
    clock.now = NOW + timedelta(days=1, hours=1)
    graph.reset_counters()
    again = calendar.changes(window(clock.now), first.cursor)
    assert again.full
    assert "startDateTime" in graph.log[0]["query"]


def test_prefer_utc_and_paging_on_every_calendar_request(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    for i in range(250):
        graph.add_event(ME, f"Event {i}", NOW - timedelta(days=2) + timedelta(minutes=30 * i))
    provider.calendar().changes(window(), None)
    deltas = [e for e in graph.log if "calendarView" in e["path"]]
    assert len(deltas) == 3  # 100 per page
    assert all('outlook.timezone="UTC"' in e["prefer"] for e in deltas)


def test_graph_event_translation(provider: MicrosoftProvider, graph: FakeGraph) -> None:
    start = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    event_id = graph.add_event(
        ME, "Interview: Staff Engineer at Acme", start, 90, attendees=PANEL,
        organizer=("Jane Doe", "jane@acme.com"), categories=["Interview"],
        responseStatus={"response": "tentativelyAccepted", "time": "2026-11-20T10:00:00Z"},
        onlineMeeting={"joinUrl": "https://teams.microsoft.com/l/meetup-join/abc"},
        location={"displayName": "Acme HQ"}, hideAttendees=False,
        body={"contentType": "html", "content": "<p>Interviewers: Jane &amp; Raj</p>"})
    event = provider.calendar().get_event(event_id)
    assert event is not None
    assert (event.start, event.end) == (start, start + timedelta(minutes=90))
    assert event.title == "Interview: Staff Engineer at Acme"
    assert event.categories == ("Interview",)
    assert event.my_response is Response.TENTATIVE
    assert event.video_link == "https://teams.microsoft.com/l/meetup-join/abc"
    assert event.location == "Acme HQ"
    assert "Jane & Raj" in event.description
    room = next(a for a in event.attendees if a.email == "room4@acme.com")
    assert room.is_resource
    me = next(a for a in event.attendees if a.email == ME)
    assert me.is_self  # the signed-in account's own address, not only me.emails
    jane = next(a for a in event.attendees if a.email == "jane@acme.com")
    assert jane.is_organizer and jane.name == "Jane Doe"
    assert event.organizer is not None and event.organizer.email == "jane@acme.com"

    graph.update_event(ME, event_id, isCancelled=True)
    assert provider.calendar().get_event(event_id) is None
    # `explain` still finds it: an attendee's copy stays with isCancelled until removed.
    found = provider.calendar().lookup(event_id)
    assert found is not None and found.cancelled
    assert found.event is not None and found.event.title == "Interview: Staff Engineer at Acme"
    graph.delete_event(ME, event_id)
    assert provider.calendar().get_event(event_id) is None
    assert provider.calendar().lookup(event_id) is None


def test_times_in_a_windows_zone_are_understood() -> None:
    from afterword.providers.microsoft.calendar import _to_event

    data = {"id": "x", "subject": "Interview", "attendees": [],
            "start": {"dateTime": "2026-11-27T09:00:00.0000000",
                      "timeZone": "Pacific Standard Time"},
            "end": {"dateTime": "2026-11-27T10:00:00.0000000",
                    "timeZone": "Pacific Standard Time"}}
    event = _to_event(data, "work", "default", ZoneInfo("Europe/Berlin"), set())
    assert event.start == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert event.organizer is None and event.my_response is Response.UNKNOWN


def test_hidden_attendees_all_day_and_status(provider: MicrosoftProvider,
                                             graph: FakeGraph) -> None:
    day = datetime(2026, 11, 28, tzinfo=ZoneInfo("Europe/Berlin"))
    event_id = graph.add_event(ME, "Onsite interview day", day, 24 * 60, isAllDay=True,
                               hideAttendees=True, showAs="oof", isCancelled=True,
                               organizer=("Acme Recruiting", "recruiting@acme.example"))
    changes = provider.calendar().changes(window(), None)
    event = next(e for e in changes.events if e.id == event_id)
    assert event.all_day and event.start == day
    assert event.attendees_hidden
    assert event.status is EventStatus.CANCELLED
    # People block interview time as "away" at their current job: showAs oof is no skip.
    assert event.event_type == "default"


def test_without_json_batching_events_are_read_one_by_one(provider: MicrosoftProvider,
                                                          graph: FakeGraph) -> None:
    ids = [graph.add_event(ME, f"Interview loop {i}", NOW + timedelta(days=i),
                           attendees=PANEL, type="occurrence", seriesMasterId="S")
           for i in range(1, 3)]
    graph.fail("POST", "/$batch", 404)  # an endpoint that does not know $batch
    changes = provider.calendar().changes(window(), None)
    assert sorted(e.id for e in changes.events) == sorted(ids)
    assert sorted(e["path"] for e in graph.log if e["path"].startswith("/me/events/")) == \
        sorted(f"/me/events/{i}" for i in ids)


def test_without_delta_the_window_is_polled(provider: MicrosoftProvider,
                                            graph: FakeGraph) -> None:
    event_id = graph.add_event(ME, "Interview", NOW + timedelta(days=1), attendees=PANEL)
    graph.fail("GET", "/calendarView/delta", 400)  # an endpoint without delta
    calendar = provider.calendar()
    first = calendar.changes(window(), None)
    assert first.full and [e.id for e in first.events] == [event_id]
    idle = calendar.changes(window(), first.cursor)
    assert not idle.full and idle.events == ()
    graph.update_event(ME, event_id, subject="Final interview")
    changed = calendar.changes(window(), idle.cursor)
    assert changed.full and [e.title for e in changed.events] == ["Final interview"]
    assert [e["path"] for e in graph.log if "calendarView" in e["path"]][-2:] == [
        "/me/calendarView", "/me/calendarView"]


def test_delta_is_asked_without_query_options_it_does_not_support(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    for i in range(5):
        graph.add_event(ME, f"Event {i}", NOW + timedelta(days=i))
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor
    calendar.changes(window(), cursor)
    deltas = [e for e in graph.log if e["path"].endswith("/delta")]
    assert len(deltas) == 2 and all(e["status"] == 200 for e in deltas)
    for entry in deltas:
        assert not {"$select", "$filter", "$top", "$orderby", "$expand"} & set(entry["query"])
        assert "odata.maxpagesize=100" in entry["prefer"]
    # The fake refuses them as Graph does, so a regression shows.
    with pytest.raises(GraphError) as caught:
        provider.client.get("/me/calendarView/delta",
                            {"startDateTime": "2026-11-20T00:00:00Z",
                             "endDateTime": "2026-11-30T00:00:00Z", "$select": "id,subject"})
    assert caught.value.status == 400


def test_immutable_ids_are_asked_for_on_every_request_batch_items_included(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    # Two a day (more than 3 a day would be a runaway series, skipped unread).
    ids = [graph.add_event(ME, f"Interview loop {i}", NOW - timedelta(days=7) + timedelta(
               hours=11 * i), attendees=PANEL, type="occurrence", seriesMasterId="S")
           for i in range(45)]
    graph.reset_counters()
    changes = provider.calendar().changes(window(), None)
    assert {e.id for e in changes.events} == set(ids)  # the stable ids, not regular ones
    batches = [e for e in graph.log if e["path"] == "/$batch"]
    assert len(batches) == 3 and len(graph.batch_log) == 45  # at most 20 per $batch
    assert not [e for e in graph.log if e["path"].startswith("/me/events/")]
    for entry in [*graph.log, *graph.batch_log]:
        if entry["path"] != "/$batch":
            assert 'IdType="ImmutableId"' in entry["prefer"], entry["path"]
    # Without the header Graph shows other (regular) ids: the fake does too.
    plain = provider.client.get(f"/me/events/{ids[0]}", {"$select": "id"})
    assert plain["id"] != ids[0]
