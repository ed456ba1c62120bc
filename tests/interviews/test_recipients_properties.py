"""Property tests: whatever an invite looks like, no room, bot, scheduler, shared calendar,
self address, declined or delegating guest is ever a recipient, no recipient has an
address the draft builder would refuse, and detection and extraction never raise."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from afterword.daemon.config import DetectConfig, RecipientsConfig
from afterword.daemon.email_address import valid_address
from afterword.daemon.interviews import description, detect, names, people
from afterword.daemon.interviews.addresses import normalise_address
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, InterviewStatus, Response

MINE = ("alex@example.com", "alex.rivera@gmail.com")
# Ways the user's own addresses show up in invites.
SELF_VARIANTS = ["alex@example.com", "ALEX@Example.com", "alex+jobs@example.com",
                 "alex+interviews@EXAMPLE.com", "alex.rivera@gmail.com", "alexrivera@gmail.com",
                 "Alex.Rivera+x@googlemail.com", " alex@example.com "]
ROOM_ADDRESSES = ["acme.com_3130@resource.calendar.google.com", "room-4b@acme.com",
                  "c_188@resource.calendar.google.com", "rainier@contoso.com"]
# Robots and systems that arrive as ordinary guests or organizers (data/non_people.toml).
ROBOT_ADDRESSES = ["fred@fireflies.ai", "acme@myworkday.com", "acme@wd5.myworkday.com",
                   "massive@assistant.gong.io", "c_9f8e7d@group.calendar.google.com",
                   "en.usa#holiday@import.calendar.google.com", "reply@otter.ai",
                   "notetaker@acme.com", "x@hire.lever.co"]
ROBOT_NAMES = ["Fireflies.ai Notetaker", "ZR-SEA-12-Rainier (Zoom Room)", "MTR-Oslo (Teams Room)",
               "Conf Rm 4B", "Gong Recorder", "OtterPilot", "Hooli Candidate Calendar",
               "Read.ai Meeting Notes", "tl;dv Recorder"]

local_part = st.from_regex(r"[a-z][a-z0-9._+-]{0,12}[a-z0-9]", fullmatch=True)
domain = st.sampled_from(["acme.com", "globex.com", "gmail.com", "example.com", "x.io",
                          "resource.calendar.google.com", "group.calendar.google.com"])
address = st.one_of(
    st.builds(lambda local, dom: f"{local}@{dom}", local_part, domain),
    st.sampled_from(SELF_VARIANTS + ROOM_ADDRESSES + ROBOT_ADDRESSES),
    st.sampled_from(["recruiting@acme.com", "no-reply@greenhouse.io", "bad address",
                     "@nolocal.com", "a@b", "/o=ExchangeLabs/ou=x/cn=Kim",
                     "typo..dots@acme.com", ".lead@acme.com", "trail.@acme.com",
                     "x@-acme.com", "jo@acme", "ünï@acme.com"]),
    st.text(max_size=30),
)
display = st.one_of(st.none(), st.text(max_size=40),
                    st.sampled_from(["Jane Doe", "Doe, Jane", "Dr. Priya Raman", "JANE DOE",
                                     "Conf Room Rainier", "李娜", "José Álvarez",
                                     "alex@example.com", "Board Room 2", "", "  ",
                                     "Robert \"Bob\" Smith", *ROBOT_NAMES]))
attendee = st.builds(
    Attendee,
    email=st.one_of(st.none(), address),
    name=display,
    response=st.sampled_from(list(Response)),
    is_self=st.booleans(),
    is_organizer=st.booleans(),
    is_resource=st.booleans(),
    optional=st.booleans(),
    is_group=st.booleans(),
)
description_text = st.one_of(
    st.text(max_size=300),
    st.builds(lambda people_, tail: f"Interviewers: {', '.join(people_)}\n\n{tail}",
              st.lists(st.one_of(display.map(lambda d: d or ""),
                                 address.map(lambda a: f"Someone <{a}>")), max_size=5),
              st.text(max_size=50)),
    st.builds(lambda items: "<p>Panel:</p><ul>" + "".join(f"<li>{i}</li>" for i in items)
              + "</ul>", st.lists(st.text(max_size=40), max_size=5)),
    st.builds(lambda a, b: f"You will meet with {a} and {b}.", display.map(str),
              display.map(str)),
)
START = datetime(2026, 3, 2, 15, tzinfo=UTC)


@st.composite
def events(draw: st.DrawFn) -> CalendarEvent:
    """Any event a calendar could hand us, weird ones included."""
    guests = draw(st.lists(attendee, max_size=12))
    return CalendarEvent(
        account="a",
        calendar="c",
        id=draw(st.text(min_size=1, max_size=20)),
        title=draw(st.one_of(st.text(max_size=60), st.sampled_from(
            ["Interview: Engineer at Acme", "Onsite", "Mock interview", "[Acme] PM interview",
             "Acme – Role – Onsite", "Acme / Alex – phone screen", "Interviewer training"]))),
        start=START,
        end=START + timedelta(hours=1),
        description=draw(description_text),
        location=draw(st.sampled_from(["", "Rainier", "Conf Rm 4B", "Zoom"])),
        all_day=draw(st.booleans()),
        status=draw(st.sampled_from(list(EventStatus))),
        attendees=tuple(guests),
        organizer=draw(st.one_of(st.none(), attendee)),
        my_response=draw(st.sampled_from(list(Response))),
        categories=tuple(draw(st.lists(st.sampled_from(["Interview", "Red", ""]), max_size=2))),
        color_id=draw(st.sampled_from(["", "11", "3"])),
        event_type=draw(st.sampled_from(["default", "focusTime", "outOfOffice"])),
        private_properties=draw(st.dictionaries(st.sampled_from(["afterword", "x"]),
                                                st.sampled_from(["yes", "no", "1", ""]),
                                                max_size=2)),
        attendees_hidden=draw(st.booleans()),
    )


def _forbidden(event: CalendarEvent) -> set[str]:
    """Addresses that must never get a note: rooms, groups, bots, schedulers, calendars,
    the user, guests who declined or delegated, and guests named like a robot or room."""
    bad = {normalise_address(m) for m in MINE}
    bad |= {normalise_address(a) for a in ROBOT_ADDRESSES}
    guests = [*event.attendees, *((event.organizer,) if event.organizer else ())]
    for guest in guests:
        if not guest.email:
            continue
        room = guest.is_resource or "resource.calendar.google.com" in guest.email.lower()
        robot = (guest.name or "").strip() in ROBOT_NAMES or (
            guest.name and guest.name.strip().casefold() == event.location.strip().casefold())
        if (room or robot or guest.is_group or guest.is_self
                or guest.response in (Response.DECLINED, Response.DELEGATED)):
            bad.add(normalise_address(guest.email))
    return bad


@settings(max_examples=400, deadline=None)
@given(events(), st.booleans(), st.integers(min_value=1, max_value=10))
def test_no_room_bot_scheduler_self_declined_or_delegating_guest_is_ever_a_recipient(
        event: CalendarEvent, include_organizer: bool, cap: int) -> None:
    rules = RecipientsConfig(include_organizer=include_organizer, max_per_interview=cap)
    found = people.extract(event, rules, MINE)
    recipients = [p.email for p in found.interviewers if p.email]
    assert not {normalise_address(r) for r in recipients} & _forbidden(event)
    # Every recipient is one the draft builder accepts: one bad address never stops a panel.
    assert all(valid_address(r) for r in recipients)
    assert len({normalise_address(r) for r in recipients}) == len(recipients)
    for verdict in found.verdicts:
        if verdict.recipient and verdict.attendee.email:
            assert normalise_address(verdict.attendee.email) not in _forbidden(event)
    if len(recipients) > cap:
        assert found.status is InterviewStatus.TOO_MANY
    if not recipients:
        assert found.status is InterviewStatus.NAMES_NEEDED


@settings(max_examples=300, deadline=None)
@given(events())
def test_detection_never_raises_and_always_gives_a_reason(event: CalendarEvent) -> None:
    decision = detect.decide(event, DetectConfig(google_colors=("11",)), MINE)
    assert decision.reason and decision.rule
    if event.status is EventStatus.CANCELLED:
        assert not decision.is_interview


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_description_and_names_never_raise(text: str) -> None:
    info = description.parse(text)
    for person in info.people:
        assert person.name or person.email
    parsed = names.parse_name(text[:60], "someone@example.com")
    assert isinstance(parsed.first, str)


# Hostile descriptions that made the reading quadratic: each "<" or "(" that never closes
# sent a scan to the end of the text (300 KB of "<a " took 28 s; 1 MB would take hours).
_HOSTILE = ["<a " * 350_000, '<a href="' * 120_000, "<p>" + "<b " * 350_000,
            "Interviewers: " + "(" * 1_000_000, "|" + "-" * 1_000_000,
            "<p>" + "<!--" * 250_000, "Jane Doe (Engineering Manager) " * 30_000]


def test_a_hostile_description_is_read_in_bounded_time() -> None:
    # In a child process with a deadline a hundred times what the reading takes, so a
    # return to quadratic work fails here instead of wedging the suite.
    # Twenty guests with a megabyte of name each go through the whole reading too.
    code = ("import sys\nfrom datetime import UTC, datetime\n"
            "from afterword.daemon.config import RecipientsConfig\n"
            "from afterword.daemon.interviews import description, people\n"
            "from afterword.daemon.model import Attendee, CalendarEvent\n"
            "texts = sys.stdin.read().split('\\0')\n"
            "for text in texts:\n"
            "    description.parse(text)\n"
            "now = datetime.now(UTC)\n"
            "guests = tuple(Attendee(email=f'p{i}@acme.com', name=texts[i % len(texts)])\n"
            "               for i in range(20))\n"
            "event = CalendarEvent(account='a', calendar='c', id='x', title='Interview',\n"
            "                      start=now, end=now, description=texts[0], attendees=guests,\n"
            "                      location=texts[1])\n"
            "found = people.extract(event, RecipientsConfig(), ('alex@example.com',))\n"
            "assert all(len(p.name) <= 120 for p in found.interviewers)\n"
            "print('read')\n")
    done = subprocess.run([sys.executable, "-c", code], input="\0".join(_HOSTILE),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and done.stdout == "read\n", done.stderr[-500:]
