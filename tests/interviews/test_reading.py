"""The invite read once: schedulers' descriptions, the non-people catalog, address-only
guests matched to described names, and one pass per event through planning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afterword.daemon.config import Config, Me, RecipientsConfig
from afterword.daemon.interviews import description, html_text, non_people, planning, reading
from afterword.daemon.interviews.names import same_person
from afterword.daemon.interviews.reading import GuestKind, classify
from afterword.daemon.model import Attendee, CalendarEvent, Response

MINE = frozenset({"alex@example.com"})
START = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize(("text", "want"), [
    ("Portfolio Review — Grace Liu, Design Director (grace.liu@acme.com)",
     [("Grace Liu", "Design Director", "grace.liu@acme.com")]),
    ("Your itinerary\n10:00–10:45  Aisha Rahman, Staff Engineer — System design\n"
     "10:45–11:30  Bo Chen (Engineering Manager) — Behavioral",
     [("Aisha Rahman", "Staff Engineer", None), ("Bo Chen", "Engineering Manager", None)]),
    ("Candidate itinerary:\nProduct Sense — Hana Sato, Senior Product Manager\n"
     "Execution — Omar Haddad (Group PM)",
     [("Hana Sato", "Senior Product Manager", None), ("Omar Haddad", "Group PM", None)]),
    ("9:00 AM - 9:45 AM PT | Lena Berg | Hiring Manager\n9:45 AM - 10:00 AM PT | Break",
     [("Lena Berg", "Hiring Manager", None)]),
    # An HTML schedule table, with its header row (cells become " | ").
    ("<p>Your schedule</p><table><tr><th>Time</th><th>Interviewer</th><th>Session</th></tr>"
     "<tr><td>10:00 – 10:45</td><td>Aisha Rahman, Staff Engineer</td><td>System design</td>"
     "</tr><tr><td>10:45 – 11:30</td><td>Bo Chen</td><td>Engineering Manager</td></tr>"
     "</table>",
     [("Aisha Rahman", "Staff Engineer", None), ("Bo Chen", "Engineering Manager", None)]),
    ("Interview schedule:\n\nSession | Interviewer | Title\nCoding | Priya Nair | Senior "
     "Engineer\nValues | Tom Reyes | Director of Engineering",
     [("Priya Nair", "Senior Engineer", None), ("Tom Reyes", "Director of Engineering", None)]),
    ("Hi Alex, your interviewers are Jane Doe (EM) and Raj Patel (Staff Engineer).",
     [("Jane Doe", "EM", None), ("Raj Patel", "Staff Engineer", None)]),
])
def test_itineraries_name_the_person_never_the_session(
        text: str, want: list[tuple[str, str, str | None]]) -> None:
    assert [(p.name, p.role, p.email) for p in description.parse(text).people] == want


def test_me_in_prose_is_the_organizer() -> None:
    info = description.parse("Hi Alex, you'll meet with me and Tariq Aziz (Principal "
                             "Engineer). Talk soon!")
    assert info.with_me
    assert [(p.name, p.role) for p in info.people] == [("Tariq Aziz", "Principal Engineer")]
    assert not description.parse("You'll meet with Tariq Aziz.").with_me


@pytest.mark.parametrize(("address", "same"), [
    ("c.mendes@acme.com", True), ("cmendes@acme.com", True), ("carla@acme.com", True),
    ("mendes@acme.com", True), ("carla.mendes@acme.com", True), ("carl@acme.com", False),
    ("c.m@acme.com", False), ("jane@acme.com", False),
])
def test_a_described_name_finds_its_address_only_guest(address: str, same: bool) -> None:
    assert same_person("Carla Mendes", None, address) is same
    # A guest whose "name" is the address itself is still address-only.
    assert same_person("Carla Mendes", address, address) is same


@pytest.mark.parametrize(("guest", "kind", "named"), [
    (Attendee("fred@fireflies.ai", "Fireflies.ai Notetaker"), GuestKind.BOT, "Fireflies"),
    (Attendee("acme@assistant.gong.io"), GuestKind.BOT, "Gong"),
    (Attendee("x@acme.com", "Alex's OtterPilot"), GuestKind.BOT, "Otter"),
    (Attendee("bot@acme.com", "Read.ai meeting notes"), GuestKind.BOT, "Read.ai"),
    (Attendee("acme@myworkday.com", "Acme Recruiting"), GuestKind.SCHEDULER, "Workday"),
    (Attendee("acme@wd5.myworkday.com"), GuestKind.SCHEDULER, "Workday"),
    (Attendee("acme-scheduling@greenhouse.io"), GuestKind.SCHEDULER, "Greenhouse"),
    (Attendee("x@hire.lever.co"), GuestKind.SCHEDULER, "Lever"),
    (Attendee("c_1@group.calendar.google.com", "Hooli Candidate Calendar"),
     GuestKind.SCHEDULER, "GoodTime"),
    (Attendee("c_1@group.calendar.google.com"), GuestKind.CALENDAR, "group"),
    (Attendee("en.usa#holiday@import.calendar.google.com"), GuestKind.CALENDAR, "imported"),
    (Attendee("zr-sea-12@acme.com", "ZR-SEA-12-Rainier (Zoom Room)"), GuestKind.ROOM, "Zoom"),
    (Attendee("4b@acme.com", "Conf Rm 4B"), GuestKind.ROOM, "meeting room"),
    (Attendee("mtr@acme.com", "MTR-Oslo (Teams Room)"), GuestKind.ROOM, "Teams"),
    (Attendee("a_1@resource.calendar.google.com", "Fuji"), GuestKind.ROOM, "Google"),
    (Attendee("tom@acme.com", response=Response.DELEGATED), GuestKind.DELEGATED, "delegate"),
])
def test_the_catalog_names_each_non_person(guest: Attendee, kind: GuestKind, named: str) -> None:
    found, reason = classify(guest, RecipientsConfig(), MINE)
    assert found is kind and named in reason, reason


@pytest.mark.parametrize("guest", [
    # People who work at the vendors: only system addresses are listed, never a domain.
    Attendee("jane.doe@greenhouse.io", "Jane Doe"), Attendee("sam@gong.io", "Sam Lee"),
    Attendee("kim@fireflies.ai", "Kim Park"), Attendee("lee@workday.com", "Lee Wong"),
    Attendee("room.jones@acme.com", "Roomi Jones"),
])
def test_people_at_the_vendors_stay_people(guest: Attendee) -> None:
    assert classify(guest, RecipientsConfig(), MINE) == (GuestKind.PERSON, "")


def test_the_users_own_patterns_extend_the_catalog() -> None:
    rules = RecipientsConfig(not_people=("*@ats.example.com", "Lobby Kiosk*"))
    assert classify(Attendee("x@ats.example.com"), rules, MINE) == (
        GuestKind.NOT_A_PERSON, "not a person (recipients.not_people '*@ats.example.com')")
    assert classify(Attendee("k@acme.com", "Lobby Kiosk 2"), rules, MINE)[0] is \
        GuestKind.NOT_A_PERSON
    assert classify(Attendee("x@ats.example.com"), RecipientsConfig(), MINE)[0] is \
        GuestKind.PERSON


def test_one_event_is_read_once_through_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"html": 0, "parse": 0, "classify": 0}

    def counted(name: str, real):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(reading, "html_to_text", counted("html", html_text.html_to_text))
    monkeypatch.setattr(reading, "parse_text", counted("parse", description.parse_text))
    monkeypatch.setattr(reading, "classify", counted("classify", reading.classify))
    guests = (Attendee("alex@example.com"), Attendee("jo@acme.com", "Jo Park"),
              Attendee("fred@fireflies.ai"), Attendee("ann@acme.com", "Ann Bell"))
    event = CalendarEvent("a", "c", "e", "Onsite interview", START, START + timedelta(hours=1),
                          description="<p>Interviewers: Jo Park, Ann Bell</p><p>Notes: x</p>",
                          attendees=guests)
    config = Config(me=Me("Alex Rivera", ("alex@example.com",), UTC, "UTC"), accounts=())
    planned = planning.plan(event, config, ["alex@example.com"])
    assert planned.interview is not None
    assert [p.email for p in planned.interview.interviewers] == ["jo@acme.com", "ann@acme.com"]
    # The description is turned into text and parsed once; each guest is classified once.
    assert calls == {"html": 1, "parse": 1, "classify": len(guests)}
    calls.update(html=0, parse=0, classify=0)
    assert planning.plan_interview(event, config, ["alex@example.com"]) is not None
    assert calls == {"html": 1, "parse": 1, "classify": len(guests)}


def test_every_catalog_entry_has_a_kind_a_pattern_and_a_public_source() -> None:
    entries = non_people.packaged()
    assert len(entries) >= 20
    for entry in entries:
        assert entry.kind in ("room", "bot", "scheduler", "calendar"), entry
        assert entry.addresses or entry.names, entry
        assert "https://" in entry.source, entry
        # No whole vendor domain whose staff could interview the user.
        assert not {"*@greenhouse.io", "*@gong.io", "*@fireflies.ai", "*@workday.com",
                    "*@lever.co", "*@ashbyhq.com", "*@goodtime.io"} & set(entry.addresses)
