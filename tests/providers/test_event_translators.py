"""Google Calendar v3 and Microsoft Graph event payloads → CalendarEvent, field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.errors import InputError
from afterword.daemon.model import EventStatus, Response
from afterword.providers.google import events as google_events
from afterword.providers.microsoft import events as microsoft_events
from tests.event_fixtures import EVENTS

NY = ZoneInfo("America/New_York")
MINE = ("alex@example.com", "alex.rivera@gmail.com")


def google_item(event_id: str) -> dict:
    items = json.loads((EVENTS / "google-events.json").read_text())["items"]
    return next(i for i in items if i["id"] == event_id)


def graph_item(event_id: str) -> dict:
    items = json.loads((EVENTS / "graph-events.json").read_text())["value"]
    return next(i for i in items if i["id"] == event_id)


def test_google_panel() -> None:
    event = google_events.event_from_google(google_item("g01panel5k3lq0d6vb7i1n2"),
                                            account="personal", my_emails=MINE, zone=NY)
    assert event.id == "g01panel5k3lq0d6vb7i1n2"
    assert event.start == datetime(2026, 3, 2, 15, tzinfo=UTC)
    assert event.end - event.start == timedelta(hours=2)
    assert event.status is EventStatus.CONFIRMED and not event.all_day
    assert event.my_response is Response.ACCEPTED
    assert event.video_link == "https://meet.google.com/abc-defg-hij"
    assert event.ical_uid == "g01panel5k3lq0d6vb7i1n2@google.com"
    assert event.organizer is not None and event.organizer.email == "sarah.lee@acme.com"
    assert [(a.email, a.is_self, a.is_organizer, a.is_resource, a.response)
            for a in event.attendees] == [
        ("sarah.lee@acme.com", False, True, False, Response.ACCEPTED),
        ("alex.rivera@gmail.com", True, False, False, Response.ACCEPTED),
        ("jane.doe@acme.com", False, False, False, Response.ACCEPTED),
        ("priya.raman@acme.com", False, False, False, Response.NEEDS_ACTION),
        ("acme.com_3130353436393438@resource.calendar.google.com", False, False, True,
         Response.ACCEPTED),
    ]
    assert "<li>Jane Doe" in event.description  # HTML is kept; the daemon reads it


def test_google_flags() -> None:
    def load(event_id: str):  # type: ignore[no-untyped-def]
        return google_events.event_from_google(google_item(event_id), account="p",
                                               my_emails=MINE, zone=NY)

    assert load("g04hiddenguests").attendees_hidden
    assert load("g05attendeesomitted").attendees_hidden
    assert not load("g01panel5k3lq0d6vb7i1n2").attendees_hidden
    assert load("g06ideclined").my_response is Response.DECLINED
    assert load("g07declinedguest").my_response is Response.ORGANIZER
    assert load("g08cancelled").status is EventStatus.CANCELLED
    assert google_events.is_removed(google_item("g08cancelled"))
    all_day = load("g09allday")
    assert all_day.all_day and all_day.start == datetime(2026, 3, 9, tzinfo=NY)
    assert load("g10focustime").event_type == "focusTime"
    assert load("g16colour").color_id == "11"
    assert load("g17privateproperty").private_properties == {"afterword": "interview"}
    recurring = load("g21loop_20260318T140000Z")
    assert recurring.series_id == "g21loop"
    plus = recurring.attendees[1]
    assert plus.email == "alex+jobs@example.com" and not plus.is_self  # the daemon decides


def test_google_bad_payloads_raise_input_error() -> None:
    with pytest.raises(InputError, match="g-x"):
        google_events.event_from_google({"id": "g-x", "status": "cancelled"}, account="p")
    with pytest.raises(InputError, match="without an id"):
        google_events.event_from_google({"start": {"date": "2026-03-01"}}, account="p")


def test_graph_panel() -> None:
    event = microsoft_events.event_from_graph(graph_item("AAMkAGI1AAAt9AHjAAA="),
                                              account="work", my_emails=MINE, zone=NY)
    assert event.start == datetime(2026, 3, 2, 17, tzinfo=UTC)
    assert event.title == "Contoso – Senior PM – Onsite"
    assert event.my_response is Response.ACCEPTED
    assert event.video_link.startswith("https://teams.microsoft.com/")
    assert event.location == "Conf Room Rainier"
    assert "<div>Interviewers:</div>" in event.description
    assert [(a.email, a.is_self, a.is_organizer, a.is_resource) for a in event.attendees] == [
        ("alex@example.com", True, False, False),
        ("olivia.brown@contoso.com", False, True, False),
        ("ravi.kumar@contoso.com", False, False, False),
        ("rainier@contoso.com", False, False, True),
    ]


def test_graph_fields() -> None:
    def load(event_id: str):  # type: ignore[no-untyped-def]
        return microsoft_events.event_from_graph(graph_item(event_id), account="w",
                                                 my_emails=MINE, zone=NY)

    assert load("AAMkAGI1AAAt9AHkAAA=").status is EventStatus.CANCELLED
    assert load("AAMkAGI1AAAt9AHlAAA=").my_response is Response.DECLINED
    assert load("AAMkAGI1AAAt9AHmAAA=").categories == ("Interview", "Blue category")
    all_day = load("AAMkAGI1AAAt9AHnAAA=")
    assert all_day.all_day and all_day.start == datetime(2026, 3, 5, tzinfo=NY)
    assert load("AAMkAGI1AAAt9AHoAAA=").attendees_hidden
    room = load("AAMkAGI1AAAt9AHpAAA=").attendees[0]
    assert room.email == "boardroom2@proseware.com" and room.is_resource  # from locations[]
    x500 = load("AAMkAGI1AAAt9AHqAAA=").attendees[1]
    assert (x500.email, x500.name) == (None, "Kim Lee")
    assert load("AAMkAGI1AAAt9AHsAAA=").my_response is Response.ORGANIZER
    occurrence = load("AAMkAGI1AAAt9AHvAAABEgAQAM2")
    assert occurrence.series_id == "AAMkAGI1AAAt9AHvAAA="
    # "Pacific Standard Time" (a Windows zone name): 08:00 PDT is 15:00 UTC.
    windows = load("AAMkAGI1AAAt9AHzAAA=")
    assert windows.start == datetime(2026, 3, 17, 15, tzinfo=UTC)
    assert windows.attendees[0].is_self  # ALEX@EXAMPLE.COM
    optional = load("AAMkAGI1AAAt9AHuAAA=").attendees[2]
    assert optional.optional and optional.response is Response.TENTATIVE
    plain = load("AAMkAGI1AAAt9AHxAAA=")
    assert plain.description.startswith("Interviewers:\r\n- Aisha Khan")


def test_graph_times_and_properties() -> None:
    item = {
        "id": "x1", "subject": "Interview",
        "start": {"dateTime": "2026-03-02T10:00:00.1234567", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "Unknown Zone"},
        "singleValueExtendedProperties": [
            {"id": "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name afterword",
             "value": "interview"}],
    }
    event = microsoft_events.event_from_graph(item, account="w",
                                              zone=timezone(timedelta(hours=-5)))
    assert event.start == datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    assert event.end == datetime(2026, 3, 2, 16, tzinfo=UTC)  # unknown zone: the default
    assert event.private_properties == {"afterword": "interview"}
    assert microsoft_events.is_removed({"id": "x", "@removed": {"reason": "deleted"}})
    with pytest.raises(InputError, match="x2"):
        microsoft_events.event_from_graph({"id": "x2", "start": {}}, account="w")
