"""Google Calendar through the real google-api-python-client against the loopback fake."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from afterword.daemon.errors import ProviderError
from afterword.daemon.interviews.description import html_to_text
from afterword.daemon.model import Response
from afterword.providers.base import Window
from tests.fakes.google import FakeGoogle
from tests.fakes.google_data import apply_fields, parse_fields
from tests.google_env import NOW, Clock, google, interview, make_provider, timed

__all__ = ["google"]

WINDOW = Window(NOW - timedelta(days=9), NOW + timedelta(days=14))


def seed(fake: FakeGoogle, count: int = 5) -> list[dict]:
    """`count` interviews in the window and one long before it."""
    events = [fake.put_event(interview(f"Interview {i} with Acme", NOW + timedelta(hours=i),
                                       [("Jane Doe", f"jane{i}@acme.com")])) for i in range(count)]
    fake.put_event(interview("Old interview", NOW - timedelta(days=60), [("Old", "o@x.com")]))
    return events


def test_full_read_pages_through_the_window_and_keeps_the_sync_token(google):
    made = seed(google)
    cal = make_provider(google).calendar()
    changes = cal.changes(WINDOW, None)
    assert changes.full
    assert sorted(e.id for e in changes.events) == sorted(e["id"] for e in made)
    calls = google.calls("GET", "/events$")
    assert len(calls) == 3  # 5 events, 2 per page
    first = calls[0].query
    assert first["singleEvents"] == ["true"]
    assert first["timeMin"] == ["2026-11-11T15:00:00Z"]
    assert "items(" in first["fields"][0] and "nextSyncToken" in first["fields"][0]
    assert all("pageToken" in c.query for c in calls[1:])
    cursor = json.loads(changes.cursor or "")
    assert set(cursor["tokens"]) == {"primary"} and cursor["tokens"]["primary"]


def test_event_translation_keeps_what_detection_and_people_need(google):
    google.put_event({
        "summary": "Onsite", **timed(NOW), "colorId": "11", "eventType": "default",
        "description": "<p>Panel:<br>Jane &amp; Bob</p>", "location": "Room 1",
        "hangoutLink": "https://meet.google.com/abc-defg-hij", "recurringEventId": "base",
        "extendedProperties": {"private": {"afterword": "yes"}},
        "organizer": {"email": "HR@acme.com", "displayName": "Acme HR"},
        "attendees": [
            {"email": "alex@example.com", "self": True, "responseStatus": "tentative"},
            {"email": "jane@acme.com", "displayName": "Jane Doe", "organizer": True,
             "responseStatus": "accepted"},
            {"email": "bob@acme.com", "optional": True, "responseStatus": "needsAction"},
            {"email": "c_123@resource.calendar.google.com", "resource": True,
             "displayName": "Room 1"}]})
    google.put_event({"summary": "Offsite day", "start": {"date": "2026-11-21"},
                      "end": {"date": "2026-11-22"}})
    events = {e.title: e for e in make_provider(google).calendar().changes(WINDOW, None).events}
    onsite = events["Onsite"]
    assert onsite.my_response is Response.TENTATIVE
    # Passed through as Google sent it (HTML); the daemon's description parser strips it.
    assert onsite.description == "<p>Panel:<br>Jane &amp; Bob</p>"
    assert html_to_text(onsite.description).strip() == "Panel:\nJane & Bob"
    assert onsite.video_link == "https://meet.google.com/abc-defg-hij"
    assert (onsite.color_id, onsite.series_id, onsite.location) == ("11", "base", "Room 1")
    assert onsite.private_properties == {"afterword": "yes"}
    assert onsite.organizer is not None and onsite.organizer.email == "hr@acme.com"
    guests = {a.email: a for a in onsite.attendees}
    assert guests["jane@acme.com"].is_organizer and guests["jane@acme.com"].name == "Jane Doe"
    assert guests["bob@acme.com"].optional
    assert guests["bob@acme.com"].response is Response.NEEDS_ACTION
    assert guests["c_123@resource.calendar.google.com"].is_resource
    day = events["Offsite day"]
    assert day.all_day and day.start.isoformat() == "2026-11-21T00:00:00+01:00"
    assert day.end - day.start == timedelta(days=1)


def test_an_idle_cycle_is_one_small_request_per_calendar(google):
    seed(google, 5)
    team = "c_team@group.calendar.google.com"
    google.put_event(interview("Team sync", NOW, [("Sam", "sam@acme.com")]), cal_id=team)
    cal = make_provider(google, calendars=("primary", team)).calendar()
    first = cal.changes(WINDOW, None)
    assert len(first.events) == 6
    google.reset_log()
    idle = cal.changes(WINDOW, first.cursor)
    assert not idle.full and idle.events == () and idle.removed == ()
    calls = google.requests
    assert [(c.method, c.path) for c in calls] == [
        ("GET", "/calendar/v3/calendars/primary/events"),
        ("GET", "/calendar/v3/calendars/c_team%40group.calendar.google.com/events")]
    for call in calls:
        assert "syncToken" in call.query and "timeMin" not in call.query
        assert "timeMax" not in call.query
        assert call.bytes_out < 300


def test_incremental_changes_bring_updates_and_tombstones(google):
    made = seed(google, 3)
    clock = Clock()
    cal = make_provider(google, clock=clock).calendar()
    cursor = cal.changes(WINDOW, None).cursor
    google.put_event({**made[0], "summary": "Interview moved"})
    google.delete_event(made[1]["id"])
    google.put_event({**made[2], **timed(NOW + timedelta(days=40))})  # out of the window
    google.put_event(interview("Far future", NOW + timedelta(days=90), [("F", "f@x.com")]))
    changes = cal.changes(WINDOW, cursor)
    assert not changes.full
    assert [e.title for e in changes.events] == ["Interview moved"]
    assert set(changes.removed) >= {made[1]["id"], made[2]["id"]}
    assert made[0]["id"] not in changes.removed


def test_an_expired_sync_token_falls_back_to_a_full_read(google):
    seed(google, 3)
    cal = make_provider(google).calendar()
    cursor = cal.changes(WINDOW, None).cursor
    google.expire_sync_tokens()
    google.reset_log()
    changes = cal.changes(WINDOW, cursor)
    assert changes.full and len(changes.events) == 3
    assert google.requests[0].status == 410
    assert "timeMin" in google.requests[1].query


def test_the_window_is_read_in_full_at_least_daily(google):
    seed(google, 1)
    clock = Clock()
    cal = make_provider(google, clock=clock).calendar()
    cursor = cal.changes(WINDOW, None).cursor
    clock.advance(hours=23)
    assert not cal.changes(WINDOW, cursor).full
    clock.advance(hours=2)
    later = Window(WINDOW.start + timedelta(hours=25), WINDOW.end + timedelta(hours=25))
    assert cal.changes(later, cursor).full


def test_a_cut_guest_list_is_fetched_again(google):
    google.list_attendee_limit = 2
    guests = [(f"Person {i}", f"p{i}@acme.com") for i in range(4)]
    made = google.put_event(interview("Panel interview", NOW, guests))
    event = make_provider(google).calendar().changes(WINDOW, None).events[0]
    assert {a.email for a in event.attendees} >= {f"p{i}@acme.com" for i in range(4)}
    assert not event.attendees_hidden
    assert google.calls("GET", f"/events/{made['id']}$")


def test_get_event(google):
    made = seed(google, 2)
    cal = make_provider(google, calendars=("other", "primary")).calendar()
    google.calendar("other")
    event = cal.get_event(made[0]["id"])
    assert event is not None and event.title == "Interview 0 with Acme"
    google.delete_event(made[1]["id"])
    assert cal.get_event(made[1]["id"]) is None
    assert cal.get_event("no-such-event") is None
    # `explain` still learns of it: events.get returns cancelled events, here as the
    # tombstone the docs promise (only the id), so no details are left.
    found = cal.lookup(made[1]["id"])
    assert found is not None and found.cancelled and found.event is None
    assert cal.lookup("no-such-event") is None
    live = cal.lookup(made[0]["id"])
    assert live is not None and not live.cancelled and live.event == event


def test_lookup_keeps_the_details_of_a_cancelled_event_when_google_gives_them(google):
    """An attendee's copy of a cancelled meeting may still carry its fields."""
    (made,) = seed(google, 1)
    google.put_event({**made, "status": "cancelled"})
    calendar = make_provider(google).calendar()
    found = calendar.lookup(made["id"])
    assert found is not None and found.cancelled
    assert found.event is not None and found.event.title == "Interview 0 with Acme"
    # …while get_event, as for every provider, knows only live events.
    assert calendar.get_event(made["id"]) is None


def test_fields_masks_trim_like_google():
    mask = parse_fields("nextPageToken,items(id,start/dateTime,attendees(email))")
    data = {"kind": "x", "nextPageToken": "p", "items": [
        {"id": "1", "summary": "s", "start": {"dateTime": "d", "timeZone": "z"},
         "attendees": [{"email": "a", "self": True}]}]}
    assert apply_fields(data, mask) == {"nextPageToken": "p", "items": [
        {"id": "1", "start": {"dateTime": "d"}, "attendees": [{"email": "a"}]}]}
    with pytest.raises(ValueError):
        parse_fields("items(id")


def test_an_unknown_calendar_is_named(google):
    cal = make_provider(google, calendars=("nope@group.calendar.google.com",)).calendar()
    with pytest.raises(ProviderError, match=r"calendar 'nope@group\.calendar\.google\.com' not"):
        cal.changes(WINDOW, None)


def test_the_fake_is_as_strict_as_google(google):
    """Sync tokens refuse window parameters; the fake must never be easier than Google."""
    api = make_provider(google).api
    first = api.call(api.calendar.events().list(calendarId="primary", singleEvents=True),
                     "events.list")
    with pytest.raises(ProviderError, match="HTTP 400"):
        api.call(api.calendar.events().list(
            calendarId="primary", singleEvents=True, syncToken=first["nextSyncToken"],
            timeMin="2026-01-01T00:00:00Z"), "events.list")
    with pytest.raises(ProviderError, match="HTTP 400"):
        api.call(api.calendar.events().list(
            calendarId="primary", syncToken=first["nextSyncToken"]), "events.list")


def test_a_cancelled_occurrence_of_a_series_is_removed_alone(google):
    base = "weekly1"
    made = [google.put_event({**interview("Interview loop", NOW + timedelta(days=d),
                                          [("Jane Doe", "jane@acme.com")]),
                              "id": f"{base}_{(NOW + timedelta(days=d)):%Y%m%dT%H%M%SZ}",
                              "recurringEventId": base,
                              "originalStartTime": {"dateTime": (NOW + timedelta(days=d))
                                                    .isoformat()}}) for d in (0, 7)]
    cal = make_provider(google).calendar()
    first = cal.changes(WINDOW, None)
    assert {e.series_id for e in first.events} == {base}
    assert len({e.id for e in first.events}) == 2
    google.delete_event(made[1]["id"])
    changes = cal.changes(WINDOW, first.cursor)
    assert changes.removed == (made[1]["id"],) and changes.events == ()


def test_fields_masks_keep_unneeded_payload_off_the_wire(google):
    google.put_event({**interview("Interview", NOW, [("Jane Doe", "jane@acme.com")]),
                      "attachments": [{"fileUrl": "https://drive/" + "x" * 20000}],
                      "reminders": {"useDefault": True}, "creator": {"email": "a@b.c"}})
    events = make_provider(google).calendar().changes(WINDOW, None).events
    assert len(events) == 1
    (call,) = google.calls("GET", "/events$")
    assert call.bytes_out < 2000  # the attachment (20 kB) stayed at Google
