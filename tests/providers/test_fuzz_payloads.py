"""Fuzzing: event payloads from strangers, through translation, planning and composing.

Google Calendar v3 JSON (event_from_google), Graph JSON (event_from_graph) and .ics text
(IcsCalendar) are generated with hostile names, titles, descriptions and addresses
(CR/LF, Unicode line separators, NULs, RFC 2047 encoded-words, address lists in names,
very long strings) and with fields of the wrong type. Each event goes through detection
and extraction (planning.plan) and, when it is an interview, through the packaged
template (compose_interview). The only errors allowed are the documented ones
(InputError for an unreadable event, TemplateError for a note that cannot be built);
every note that is built is parsed back from its bytes and must have exactly one
recipient — the interviewer — no Cc/Bcc, and no header we did not write.

Template variables are fuzzed too: me.name, me.signature and [drafts.vars].
`FUZZ_EXAMPLES` raises the number of examples per test (default 150).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_
from hypothesis import strategies as st

from afterword.daemon.config import Config, parse
from afterword.daemon.drafting.compose import Templates, compose_interview
from afterword.daemon.errors import ConfigError, InputError, TemplateError
from afterword.daemon.interviews.planning import plan
from afterword.daemon.model import CalendarEvent
from afterword.providers.base import Window
from afterword.providers.google.events import event_from_google
from afterword.providers.local.calendar import IcsCalendar
from afterword.providers.microsoft.events import event_from_graph

ZONE = ZoneInfo("Europe/Berlin")
ME = "alex@example.com"
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
ALLOWED_HEADERS = {"to", "from", "subject", "date", "message-id", "x-afterword-key",
                   "x-afterword-send-by", "mime-version", "content-type",
                   "content-transfer-encoding"}

# What a hostile invite puts in a name, a title or a description.
NASTY = [
    "\r\nBcc: evil@attacker.example", "\nCc: evil@attacker.example", "\rTo: x@y.example",
    "Jane\r\n\r\nbody injected", "\u2028Bcc: evil@attacker.example",
    "\u2029Cc: e@a.example", "\x85Bcc: nel@attacker.example", "\x00", "Jane\x00Doe",
    "=?utf-8?q?Jane=0D=0ABcc:_evil@attacker.example?=",
    "=?utf-8?b?SmFuZQ0KQmNjOiBldmlsQGF0dGFja2VyLmV4YW1wbGU=?=",
    '"Doe, Jane" <jane@acme.com>, evil@attacker.example', "evil@attacker.example",
    "<evil@attacker.example>", "Jane <evil@attacker.example>", "\u202eelgooG", "\ufeff",
    "Subject: free money", "X-Afterword-Key: 0000000000000000", "Interview", "Dr.",
    "{{ 7*7 }}", "{% raw %}", "{{ vars.__class__ }}", "\t", "  ", "", "é" * 300,
    "x" * 5000, "Interview " * 400, "Jane Doe", "Prof. Dr. Ada Lovelace-Byron III",
]
ADDRESSES = ["jane@acme.com", "bob@acme.com", "JANE@ACME.COM", ME,
             "room@resource.calendar.google.com",
             "evil@attacker.example\r\nBcc: x@y.example", "a@b", "not an address",
             "jane@acme.com, evil@attacker.example", "<jane@acme.com>", "", "x" * 300 + "@acme.com",
             "jane@acme.com\x00", "j\u00e4ne@acme.com", "\"jane\"@acme.com"]

nasty_text = st.one_of(
    st.sampled_from(NASTY), st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), max_size=4).map("".join))
address = st.one_of(st.sampled_from(ADDRESSES), st.emails(), st.text(max_size=20))
title = st.one_of(nasty_text.map(lambda t: f"Interview {t}"),
                  nasty_text.map(lambda t: f"Interview: {t}, Staff Engineer"), nasty_text,
                  nasty_text.map(lambda t: f"{t} - Interview - {t}"))
# Sometimes a field has the wrong JSON type altogether.
junk: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


def maybe_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the real shape, now and then junk of any type (1 in 10)."""
    return st.one_of(*[strategy] * 9, junk)


# -- the pipeline ------------------------------------------------------------------------

def config_from(me_name: str = "Alex Rivera", signature: str = "Alex",
                variables: dict[str, str] | None = None) -> Config:
    """The config the pipeline runs with (the packaged template)."""
    return parse({
        "me": {"name": me_name, "emails": [ME], "timezone": "Europe/Berlin",
               "signature": signature},
        "accounts": [{"name": "fuzz", "provider": "local", "calendar": "/tmp/x.ics",
                      "maildir": "/tmp/Mail"}],
        "drafts": {"vars": variables or {}},
        "reminders": {"channels": []},
    }, base_dir=Path("/tmp"))


CONFIG = config_from()
TEMPLATES = Templates(CONFIG.drafts.templates_dir)


def through_the_pipeline(event: CalendarEvent, config: Config = CONFIG) -> None:
    """Plan and compose one event; check every note that comes out."""
    interview = plan(event, config, (ME,)).interview
    if interview is None:
        event_("not an interview")
        return
    try:
        composed = compose_interview(config, TEMPLATES, "fuzz", interview,
                                     from_address=ME, now=interview.end + timedelta(hours=1))
    except TemplateError as err:
        event_("refused: TemplateError")
        assert "\n" not in str(err) and str(err)
        return
    event_(f"composed {min(len(composed.drafts), 2)}+ note(s)")
    for draft in composed.drafts:
        check_message(draft.message, draft.key.recipient, draft.key.id)


def check_message(message: EmailMessage, recipient: str, key: str) -> None:
    """Parsed back from its bytes: exactly our headers, exactly one recipient."""
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    names = [n.lower() for n in parsed]  # a Message iterates over header names
    assert set(names) <= ALLOWED_HEADERS, names
    assert len(names) == len(set(names)), names
    assert "bcc" not in names and "cc" not in names
    to = getaddresses([str(v) for v in parsed.get_all("to", [])])
    assert len(to) == 1 and to[0][1].lower() == recipient.lower(), to
    from_ = getaddresses([str(v) for v in parsed.get_all("from", [])])
    assert [a for _, a in from_] == [ME]
    assert parsed["X-Afterword-Key"] == key
    for name, value in parsed.items():
        assert "\r" not in str(value) and "\n" not in str(value), (name, value)
    body = parsed.get_body(("plain",))
    assert body is not None and body.get_content().strip()


# -- Google Calendar v3 ------------------------------------------------------------------

def g_when(offset: int) -> dict[str, Any]:
    return {"dateTime": (START + timedelta(minutes=offset)).isoformat(), "timeZone": "UTC"}


def as_is(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The real shape only."""
    return strategy


google_attendee = st.fixed_dictionaries({"email": address}, optional={
    "displayName": nasty_text, "self": st.booleans(), "organizer": st.booleans(),
    "resource": st.booleans(), "optional": st.booleans(),
    "responseStatus": st.sampled_from(["accepted", "declined", "tentative", "needsAction",
                                       "bogus"])})
def google_events(maybe_junk: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Google event resources; `maybe_junk` decides whether fields may have wrong types."""
    return st.fixed_dictionaries({
    "id": st.one_of(st.just("ev1"), st.text(min_size=1, max_size=20)),
    "summary": maybe_junk(title),
    "start": maybe_junk(st.one_of(*[st.just(g_when(0))] * 6, st.just({"date": "2026-11-20"}),
                                  st.fixed_dictionaries({"dateTime": nasty_text}))),
    "end": maybe_junk(st.just(g_when(60))),
    "attendees": maybe_junk(st.lists(maybe_junk(google_attendee), max_size=6).map(
        lambda a: [*a, {"email": ME, "self": True, "responseStatus": "accepted"}])),
}, optional={
    "description": maybe_junk(nasty_text), "location": maybe_junk(nasty_text),
    "organizer": maybe_junk(st.fixed_dictionaries({"email": address},
                                                  optional={"displayName": nasty_text})),
    "hangoutLink": maybe_junk(nasty_text), "status": st.sampled_from(["confirmed",
                                                                      "tentative", "x"]),
    "colorId": maybe_junk(st.text(max_size=3)), "eventType": maybe_junk(st.text(max_size=9)),
    "extendedProperties": maybe_junk(st.fixed_dictionaries({"private": st.dictionaries(
        st.text(max_size=8), nasty_text, max_size=3)})),
    "attendeesOmitted": st.booleans(), "guestsCanSeeOtherGuests": st.booleans(),
    "conferenceData": maybe_junk(st.none()),
    })


@FUZZ
@given(st.one_of(google_events(as_is), google_events(maybe_junk)))
def test_google_payloads(item: dict[str, Any]) -> None:
    try:
        event = event_from_google(item, account="fuzz", my_emails=(ME,), zone=ZONE)
    except InputError as err:
        event_("refused: InputError")
        assert str(err) and "\n" not in str(err)
        return
    through_the_pipeline(event)


# -- Microsoft Graph ---------------------------------------------------------------------

def m_when(offset: int) -> dict[str, str]:
    moment = (START + timedelta(minutes=offset)).replace(tzinfo=None)
    return {"dateTime": moment.isoformat() + ".0000000", "timeZone": "UTC"}


graph_attendee = st.fixed_dictionaries({
    "type": st.sampled_from(["required", "optional", "resource", "x"]),
    "status": maybe_junk(st.fixed_dictionaries({"response": st.sampled_from(
        ["accepted", "declined", "none", "organizer", "tentativelyAccepted", "x"])})),
    "emailAddress": maybe_junk(st.fixed_dictionaries({"address": address},
                                                     optional={"name": nasty_text})),
})
def graph_events(maybe_junk: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Graph event resources; `maybe_junk` decides whether fields may have wrong types."""
    return st.fixed_dictionaries({
    "id": st.one_of(st.just("AAMkAD1"), st.text(min_size=1, max_size=20)),
    "subject": maybe_junk(title),
    "start": maybe_junk(st.one_of(*[st.just(m_when(0))] * 6, st.fixed_dictionaries(
        {"dateTime": nasty_text, "timeZone": nasty_text}),
        st.just({"dateTime": m_when(0)["dateTime"], "timeZone": "Pacific Standard Time"}))),
    "end": maybe_junk(st.just(m_when(60))),
    "attendees": maybe_junk(st.lists(maybe_junk(graph_attendee), max_size=6)),
}, optional={
    "body": maybe_junk(st.fixed_dictionaries({"contentType": st.sampled_from(["html", "text"]),
                                              "content": nasty_text})),
    "bodyPreview": maybe_junk(nasty_text),
    "organizer": maybe_junk(st.fixed_dictionaries({"emailAddress": st.fixed_dictionaries(
        {"address": address}, optional={"name": nasty_text})})),
    "isAllDay": st.booleans(), "isCancelled": st.booleans(), "isOrganizer": st.booleans(),
    "hideAttendees": st.booleans(),
    "responseStatus": maybe_junk(st.fixed_dictionaries({"response": st.text(max_size=10)})),
    "categories": maybe_junk(st.lists(st.one_of(st.just("Interview"), nasty_text),
                                      max_size=3)),
    "location": maybe_junk(st.fixed_dictionaries({"displayName": nasty_text})),
    "onlineMeeting": maybe_junk(st.fixed_dictionaries({"joinUrl": nasty_text})),
    "singleValueExtendedProperties": maybe_junk(st.just([])),
    })


@FUZZ
@given(st.one_of(graph_events(as_is), graph_events(maybe_junk)))
def test_graph_payloads(item: dict[str, Any]) -> None:
    try:
        event = event_from_graph(item, account="fuzz", my_emails=(ME,), zone=ZONE)
    except InputError as err:
        event_("refused: InputError")
        assert str(err) and "\n" not in str(err)
        return
    through_the_pipeline(event)


# -- .ics --------------------------------------------------------------------------------

ics_attendee = st.tuples(address, st.one_of(st.none(), nasty_text),
                         st.sampled_from(["ACCEPTED", "DECLINED", "NEEDS-ACTION", "X"]),
                         st.sampled_from(["INDIVIDUAL", "ROOM", "RESOURCE"]))


def ics_text(summary: str, description: str | None,
             attendees: list[tuple[str, str | None, str, str]],
             organizer: tuple[str, str | None] | None, location: str | None) -> bytes:
    """One VEVENT written by icalendar, so hostile values arrive properly escaped."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//fuzz//EN")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", "fuzz-1")
    event.add("dtstamp", START)
    event.add("dtstart", START)
    event.add("dtend", START + timedelta(hours=1))
    event.add("summary", summary)
    if description is not None:
        event.add("description", description)
    if location is not None:
        event.add("location", location)
    for addr, name, partstat, cutype in attendees:
        guest = icalendar.vCalAddress(f"mailto:{addr}")
        if name:
            guest.params["cn"] = icalendar.vText(name)
        guest.params["partstat"] = icalendar.vText(partstat)
        guest.params["cutype"] = icalendar.vText(cutype)
        event.add("attendee", guest, encode=False)
    if organizer is not None:
        org = icalendar.vCalAddress(f"mailto:{organizer[0]}")
        if organizer[1]:
            org.params["cn"] = icalendar.vText(organizer[1])
        event.add("organizer", org, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())


@FUZZ
@given(title, st.one_of(st.none(), nasty_text), st.lists(ics_attendee, max_size=5),
       st.one_of(st.none(), st.tuples(address, st.one_of(st.none(), nasty_text))),
       st.one_of(st.none(), nasty_text))
def test_ics_events(tmp_path: Path, summary: str, description: str | None,
                    attendees: list[tuple[str, str | None, str, str]],
                    organizer: tuple[str, str | None] | None, location: str | None) -> None:
    path = tmp_path / "fuzz.ics"
    try:
        path.write_bytes(ics_text(summary, description, attendees, organizer, location))
    except (ValueError, TypeError):
        return  # icalendar itself refuses this value (e.g. CR/LF in an address): no file
    source = IcsCalendar(path, account="fuzz", timezone=ZONE, my_emails=(ME,))
    window = Window(START - timedelta(days=2), START + timedelta(days=2))
    try:
        changes = source.changes(window, None)
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    for item in changes.events:
        through_the_pipeline(item)


# -- template variables ------------------------------------------------------------------

@FUZZ
@given(nasty_text, nasty_text, st.dictionaries(
    st.sampled_from(["pitch", "highlight", "company_note", "x"]), nasty_text, max_size=3),
    st.lists(st.tuples(nasty_text, address), min_size=1, max_size=3), title)
def test_template_variables(me_name: str, signature: str, variables: dict[str, str],
                            guests: list[tuple[str, str]], summary: str) -> None:
    try:
        config = config_from(me_name, signature, variables)
    except ConfigError as err:
        assert err.problems
        return
    item = {"id": "ev1", "summary": summary, "start": g_when(0), "end": g_when(60),
            "attendees": [{"email": ME, "self": True, "responseStatus": "accepted"}] + [
                {"email": a, "displayName": n, "responseStatus": "accepted"}
                for n, a in guests]}
    event = event_from_google(item, account="fuzz", my_emails=(ME,), zone=ZONE)
    through_the_pipeline(event, config)
