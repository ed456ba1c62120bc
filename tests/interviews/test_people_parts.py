"""Names, description parsing, company/role and the recipient rules, piece by piece."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afterword.daemon.config import RecipientsConfig
from afterword.daemon.drafting.compose import salutation
from afterword.daemon.interviews import company, description, people
from afterword.daemon.interviews.names import parse_name
from afterword.daemon.interviews.reading import GuestKind, classify
from afterword.daemon.model import Attendee, CalendarEvent, InterviewStatus, Response

MINE = ("alex@example.com",)
START = datetime(2026, 3, 2, 15, tzinfo=UTC)


def event(*guests: Attendee, **kw: object) -> CalendarEvent:
    title = str(kw.pop("title", "Interview"))
    return CalendarEvent(account="a", calendar="c", id="e1", title=title,
                         start=START, end=START + timedelta(hours=1), attendees=guests,
                         **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("display", "email", "greeting", "full", "check"), [
    ("Doe, Jane", "jane@acme.com", "Jane", "Jane Doe", False),
    ("Dr. Priya Raman", "p@acme.com", "Dr. Raman", "Dr. Priya Raman", False),
    ("JANE DOE", "jane@acme.com", "Jane", "Jane Doe", False),
    ("jane doe", "jane@acme.com", "Jane", "Jane Doe", False),
    ("O'BRIEN, SEAN", "s@acme.com", "Sean", "Sean O'Brien", False),
    ("Mr. John Smith", "j@acme.com", "John", "John Smith", False),
    ("Dean Smith", "d@acme.com", "Dean", "Dean Smith", False),
    ('Robert "Bob" Smith', "b@acme.com", "Bob", "Robert Smith", False),
    ("José Álvarez (Acme)", "j@acme.com", "José", "José Álvarez", False),
    ("李娜", "li.na@acme.cn", "李娜", "李娜", False),
    (None, "jane.doe@acme.com", "Jane", "Jane Doe", True),
    ("jane_doe2@acme.com", "jane_doe2@acme.com", "Jane", "Jane Doe", True),
    ("jane.doe", "jane.doe@acme.com", "Jane", "Jane Doe", True),
    (None, "r.chen@acme.com", "R. Chen", "R. Chen", True),
    (None, "jdoe+interviews@acme.com", "Jdoe", "Jdoe", True),
])
def test_names(display: str | None, email: str, greeting: str, full: str, check: bool) -> None:
    person = people.interviewer_from(display, email)
    assert (salutation(person), person.name, person.needs_check) == (greeting, full, check)


def test_parse_name_never_uses_a_control_character() -> None:
    assert parse_name("Jane\r\nBcc: evil@x.com Doe", "j@acme.com").display.count("\n") == 0


def test_description_forms() -> None:
    info = description.parse(
        "Hi Alex,\n\nYour interview panel:\n- Dr. Priya Raman (Director of Research)\n"
        "- Doe, Jane – Staff Engineer\n* 10:00-10:45 Mark Lee <mark.lee@acme.com>\n\n"
        "Notes: bring a laptop\nJoin Zoom: https://zoom.us/j/1")
    assert [(p.name, p.role, p.email) for p in info.people] == [
        ("Dr. Priya Raman", "Director of Research", None),
        ("Doe, Jane", "Staff Engineer", None),
        ("Mark Lee", "", "mark.lee@acme.com"),
    ]
    assert [n.text for n in info.notes][:1] == ["bring a laptop"]
    inline = description.parse("Interviewers: Jane Doe (Engineering Manager), John Smith")
    assert [(p.name, p.role) for p in inline.people] == [("Jane Doe", "Engineering Manager"),
                                                         ("John Smith", "")]
    sentence = description.parse("You'll be meeting with Jane Doe and John Smith from the "
                                 "platform team. Join with Google Meet.")
    assert [p.name for p in sentence.people] == ["Jane Doe", "John Smith"]
    html = description.parse("<html><head><style>p{x}</style></head><body><p>Interviewers:"
                             "</p><ul><li><b>Jane Doe</b> (EM)</li><li>José Álvarez, Senior "
                             "Engineer</li></ul></body></html>")
    assert [(p.name, p.role) for p in html.people] == [("Jane Doe", "EM"),
                                                       ("José Álvarez", "Senior Engineer")]
    assert description.parse("Interview with Acme Corp on Google Meet.").people == ()


def test_listed_names_are_matched_to_attendees_by_name_or_address() -> None:
    found = people.extract(event(
        Attendee("alex@example.com", is_self=True),
        Attendee("priya.raman@acme.com", "Priya Raman"),
        Attendee("jsmith@acme.com"),
        Attendee("recruiting@acme.com", "Acme Recruiting", is_organizer=True),
        description="Interviewers: Dr. Priya Raman (Principal Engineer), John Smith, Ann Lee"),
        RecipientsConfig(), MINE)
    assert [(p.email, salutation(p), p.role, p.needs_check) for p in found.interviewers] == [
        ("priya.raman@acme.com", "Dr. Raman", "Principal Engineer", False),
        ("jsmith@acme.com", "John", "", False),
        (None, "Ann", "", False),
    ]
    assert found.status is InterviewStatus.READY
    assert found.company == "Acme"


@pytest.mark.parametrize(("guest", "reason"), [
    (Attendee("alex+jobs@Example.com"), "you"),
    (Attendee("x@acme.com", is_self=True), "you"),
    (Attendee("r1@resource.calendar.google.com", "Fuji"), "a room or resource"),
    (Attendee("r2@acme.com", "Fuji", is_resource=True), "a room or resource"),
    (Attendee("r3@acme.com", "Conference Room 4B"), "a room or resource"),
    (Attendee("bob@acme.com", response=Response.DECLINED), "declined"),
    (Attendee("no-reply@acme.com"), "a group or no-reply address"),
    (Attendee("calendar-notification@google.com"), "a group or no-reply address"),
    (Attendee("c_1@group.calendar.google.com"), "a calendar or group address"),
    (Attendee("careers@acme.com"), "a shared mailbox"),
    (Attendee("acme-recruiting@acme.com"), "a shared mailbox"),
    (Attendee("talent.acquisition@acme.com"), "a shared mailbox"),
    (Attendee("hr.jones@acme.com"), None),  # first.last: how people's addresses look
    (Attendee("tom@agency.com"), "excluded domain agency.com (recipients.exclude_domains)"),
    (Attendee("tom@eu.agency.com"), "excluded domain agency.com (recipients.exclude_domains)"),
    (Attendee("jo@acme.com", is_organizer=True),
     "the organizer (recipients.include_organizer = false)"),
    (Attendee(None, "Kim Lee"), "no email address"),
    (Attendee("Kim <kim@acme.com>"), "not a valid email address"),
])
def test_drop_reasons(guest: Attendee, reason: str | None) -> None:
    rules = RecipientsConfig(include_organizer=False, exclude_domains=("agency.com",))
    mine = frozenset({"alex@example.com"})
    kind, why = classify(guest, rules, mine)
    if reason is None:
        assert (kind, why) == (GuestKind.PERSON, "")
    else:
        # The reason starts with the kind; a catalog match then names its entry.
        assert why.startswith(reason), why


def test_configurable_lists() -> None:
    rules = RecipientsConfig(shared_mailboxes=("jobs-desk",), group_addresses=("robot",))
    mine = frozenset({"alex@example.com"})
    assert classify(Attendee("jobs-desk@acme.com"), rules, mine)[1] == "a shared mailbox"
    assert classify(Attendee("careers@acme.com"), rules, mine)[1] == ""
    assert classify(Attendee("robot@acme.com"), rules, mine)[1] == (
        "a group or no-reply address")


def test_cap_and_names_needed() -> None:
    guests = [Attendee(f"p{i}@acme.com", f"Person Number{i}") for i in range(4)]
    assert people.extract(event(*guests), RecipientsConfig(max_per_interview=3),
                          MINE).status is InterviewStatus.TOO_MANY
    assert people.extract(event(*guests), RecipientsConfig(max_per_interview=4),
                          MINE).status is InterviewStatus.READY
    only_mailbox = event(Attendee("alex@example.com"), Attendee("recruiting@acme.com"))
    found = people.extract(only_mailbox, RecipientsConfig(), MINE)
    assert (found.status, found.interviewers) == (InterviewStatus.NAMES_NEEDED, ())
    manual = people.extract(only_mailbox, RecipientsConfig(), MINE,
                            manual=[("jane@acme.com", "Jane Doe")])
    assert manual.status is InterviewStatus.READY
    assert [(p.email, p.source) for p in manual.interviewers] == [("jane@acme.com", "manual")]


def test_manual_resolves_an_address_needed_entry() -> None:
    named = event(Attendee("recruiting@acme.com"), description="Interviewers: Jane Doe, Bo Li")
    found = people.extract(named, RecipientsConfig(), MINE, manual=[("jd@acme.com", "Jane Doe")])
    assert [(p.name, p.email) for p in found.interviewers] == [("Bo Li", None),
                                                               ("Jane Doe", "jd@acme.com")]


@pytest.mark.parametrize(("title", "want"), [
    ("Interview: Senior Backend Engineer at Acme", ("Acme", "Senior Backend Engineer")),
    ("Acme – Staff Engineer – Onsite", ("Acme", "Staff Engineer")),
    ("[Globex] Data Scientist interview", ("Globex", "Data Scientist")),
    # Alex Rivera reads as a person, so never the company; but a name like that may be a
    # company ("Jane Street"), so Initech is not sure either.
    ("Initech / Alex Rivera – phone screen", ("", "")),
    ("Jane Street - Trading Interview", ("", "")),
    ("ENTREVISTA - ANALISTA DE DATOS - BANCO SANTANDER", ("Banco Santander", "Analista de Datos")),
    ("Sales Engineer – 2nd interview – Datadog, Inc.", ("Datadog", "Sales Engineer")),
    ("Interview – Maria González", ("", "")),  # an interviewer, never the company
    ("Catch up - Mike", ("", "")),
    ("Final interview with Sarah (VP Eng)", ("", "")),  # Sarah's job, not the one applied for
    ("Grant Thornton - Audit Associate", ("Grant Thornton", "Audit Associate")),
    ("Phone Screen - Product Manager @ Hooli (virtual)", ("Hooli", "Product Manager")),
    ("Senior Engineer interview at Stark Industries", ("Stark Industries", "Senior Engineer")),
    ("Globex - phone screen", ("Globex", "")),
    ("Interview", ("", "")),
    ("INTERVIEW – Acme – Senior Engineer – Onsite", ("Acme", "Senior Engineer")),
    ("Interview - Acme - Staff Engineer", ("Acme", "Staff Engineer")),
])
def test_company_and_role_from_the_title(title: str, want: tuple[str, str]) -> None:
    assert company.from_title(title) == want


@pytest.mark.parametrize(("title", "want"), [
    ("Acme Corp - Alex Rivera - Technical Interview", ("Acme Corp", "")),
    ("Acme Corp - Technical Interview", ("Acme Corp", "")),
    ("Acme - Behavioral Interview", ("Acme", "")),
    ("Alex Rivera - Acme - Onsite Interview", ("Acme", "")),
    ("Rivera, Alex - Acme - Onsite", ("Acme", "")),
    ("Acme | Alex Rivera | Final Round", ("Acme", "")),
    ("Acme: Alex Rivera - Phone Screen", ("Acme", "")),
    ("Alex Rivera <> Acme: Phone Screen", ("Acme", "")),
    ("Acme x Alex Rivera - Intro Call", ("Acme", "")),
    ("Acme Interview: Alex Rivera - Hiring Manager", ("Acme", "")),
    ("Acme - Senior Engineer Interview (Alex Rivera)", ("Acme", "Senior Engineer")),
    ("Interview with Alex Rivera for Senior Engineer role at Acme", ("Acme", "Senior Engineer")),
    ("Interview with Sam Lee for the Staff Engineer position at Acme (Zoom)",
     ("Acme", "Staff Engineer")),
    ("Interview for Senior Engineer at Acme", ("Acme", "Senior Engineer")),
    ("Acme - Jane Doe - Technical Interview", ("Acme", "")),  # an interviewer's name
    ("Alex Rivera - Software Engineer Interview", ("", "Software Engineer")),
    ("Alex Rivera | Senior Engineer | Onsite Interview", ("", "Senior Engineer")),
    ("Senior Engineer - Phone Screen", ("", "Senior Engineer")),  # a job title, no company
    ("Interview: Alex Rivera for Senior Engineer", ("", "Senior Engineer")),
    ("Alex Rivera (Senior Engineer) - Technical Interview", ("", "Senior Engineer")),
    ("Interview for Acme", ("", "")),  # "for" a company, not a role
    ("Hiring Manager Interview", ("", "")),
    ("Technical Recruiter interview at Acme", ("Acme", "Technical Recruiter")),
    ("Acme – Staff Engineer – Onsite", ("Acme", "Staff Engineer")),
])
def test_people_in_the_title_are_never_the_company_or_role(title: str,
                                                            want: tuple[str, str]) -> None:
    assert company.from_title(title, people=["Jane Doe"], me=["Alex Rivera"]) == want


def test_user_title_patterns_come_first() -> None:
    pattern = r"^(?P<role>.+) loop \((?P<company>[^)]+)\)$"
    assert company.from_title("SRE loop (Contoso)", (pattern,)) == ("Contoso", "SRE")


def test_company_from_the_shared_domain() -> None:
    generic = RecipientsConfig().generic_domains
    assert company.from_domains(["a@acme.com", "b@eng.acme.com"], generic) == "Acme"
    assert company.from_domains(["a@acme-robotics.co.uk"], generic) == "Acme Robotics"
    assert company.from_domains(["a@ibm.com"], generic) == "IBM"
    assert company.from_domains(["a@acme.com", "b@globex.com"], generic) == ""
    for free in ("gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com",
                 "proton.me"):
        assert company.from_domains([f"jane@{free}"], generic) == ""


@pytest.mark.parametrize(("domain", "texts", "want"), [
    ("piedpiper.com", ["Phone screen", "Thanks for your interest in Pied Piper!"],
     "Pied Piper"),
    ("piedpiper.com", ["Pied Piper's technical interview"], "Pied Piper"),
    ("piedpiper.com", ["Phone screen", "see piedpiper.com/careers"], "Piedpiper"),
    ("piedpiper.com", ["Phone screen", "we are piedpiper"], "Piedpiper"),  # no capitals
    ("att.com", ["AT&T – phone screen"], "AT&T"),
    ("acme-robotics.co.uk", ["", "Welcome to ACME Robotics, Ltd."], "ACME Robotics"),
    ("acme.com", ["Acme Corp phone screen"], "Acme"),
    ("acme.com", ["Phone screen with Jane"], "Acme"),
])
def test_a_domain_company_takes_the_spelling_the_invite_uses(
        domain: str, texts: list[str], want: str) -> None:
    generic = RecipientsConfig().generic_domains
    assert company.from_domains([f"jane@{domain}"], generic, texts) == want


def test_the_user_named_in_the_description_is_not_an_interviewer() -> None:
    invite = event(Attendee("alex@example.com", is_self=True), Attendee("recruiting@acme.com"),
                   description="Interview with Alex Rivera and Jane Doe.")
    found = people.extract(invite, RecipientsConfig(), MINE, my_name="Alex Rivera")
    assert [p.name for p in found.interviewers] == ["Jane Doe"]


@pytest.mark.parametrize(("text", "want"), [
    ("Interviewers: Jane Doe, Engineering Manager; John Smith, Staff Engineer",
     [("Jane Doe", "Engineering Manager"), ("John Smith", "Staff Engineer")]),
    ("Interviewers:\nJane Doe, Engineering Manager\nJohn Smith, Staff Engineer\n\nThanks",
     [("Jane Doe", "Engineering Manager"), ("John Smith", "Staff Engineer")]),
    ("Panel:\n- Engineering Manager: Jane Doe\n- Jane Roe (she/her) - Designer",
     [("Jane Doe", "Engineering Manager"), ("Jane Roe", "Designer")]),
    ("<p>Interviewers</p><table><tr><td>Jane Doe</td><td>Engineering Manager</td></tr>"
     "<tr><td>John Smith</td><td>Staff Engineer</td></tr></table><p>Thanks</p>",
     [("Jane Doe", "Engineering Manager"), ("John Smith", "Staff Engineer")]),
    ("Interviewers: Jane Doe (EM)<br>John Smith<br><br>Best regards,<br>Sam Recruiter",
     [("Jane Doe", "EM"), ("John Smith", "")]),
    ("You will meet with Jane Doe.\nJohn Smith will greet you at the door.",
     [("Jane Doe", "")]),
    ('Interviewers:<br><ul><li><a href="mailto:jane@acme.com">Jane Doe</a> (EM)</li></ul>',
     [("Jane Doe", "EM")]),
    ("Agenda:\n10:00 - 10:45 | Jane Doe | Hiring Manager\n10:45 - 11:00 Lunch break\n"
     "11:00am - 11:45am: Sam Park (Peer interview)\n",
     [("Jane Doe", "Hiring Manager"), ("Sam Park", "Peer interview")]),
    # Ashby-style: a sentence heading, then bullets.
    ("Hi Alex,\n\nYou're scheduled to meet with:\n• Jane Doe (Engineering Manager)\n"
     "• Raj Patel (Staff Engineer)\n\nPlease join via Google Meet.",
     [("Jane Doe", "Engineering Manager"), ("Raj Patel", "Staff Engineer")]),
    # A job between two names does not end the list.
    ("Hi Alex, you'll be speaking with Jane Doe, our VP of Engineering, and Raj Patel "
     "from the platform team.", [("Jane Doe", "VP of Engineering"), ("Raj Patel", "")]),
    # Itinerary rows naming the interviewer after "with"; a lunch with the team names no one.
    ("Schedule (all times PT)\n9:00 – 9:45  Behavioral with Jane Doe\n"
     "9:45 – 10:30  Coding with Raj Patel\n10:30 – 11:00  Lunch with the team\n",
     [("Jane Doe", ""), ("Raj Patel", "")]),
    ("9:00 – 9:45  Behavioral with Jane Doe\n9:45 – 10:30  Coding with Raj Patel\n",
     [("Jane Doe", ""), ("Raj Patel", "")]),
    # Label lines, and "Interview with:" (but "Interview with Acme" names no one).
    ("Hiring Manager: Raj Patel\nFormat: Video", [("Raj Patel", "")]),
    ("Interview with Acme\nInterview with: Jane Doe (Engineering Manager)",
     [("Jane Doe", "Engineering Manager")]),
    # The languages detection knows.
    ("Gesprächspartner: Jane Doe (Teamleiterin), Raj Patel (Entwickler)",
     [("Jane Doe", "Teamleiterin"), ("Raj Patel", "Entwickler")]),
    ("Vous rencontrerez Jane Doe (Responsable technique) et Raj Patel.",
     [("Jane Doe", "Responsable technique"), ("Raj Patel", "")]),
    ("Entrevistadores: Jane Doe, Raj Patel", [("Jane Doe", ""), ("Raj Patel", "")]),
    # A markdown table with no heading above it.
    ("| Time | Interviewer | Focus |\n|---|---|---|\n| 10:00 | Jane Doe | Coding |\n"
     "| 11:00 | Raj Patel | Design |", [("Jane Doe", ""), ("Raj Patel", "")]),
])
def test_more_description_shapes(text: str, want: list[tuple[str, str]]) -> None:
    assert [(p.name, p.role) for p in description.parse(text).people] == want


def test_mailto_links_keep_their_address() -> None:
    (person,) = description.parse('Interviewers: <a href="mailto:jane@acme.com">Jane</a> '
                                  "(EM)").people
    assert (person.name, person.email) == ("Jane", "jane@acme.com")


def test_display_names_with_an_affiliation() -> None:
    assert parse_name("Doe, Jane - ACME").display == "Jane Doe"
    assert parse_name("Jane Doe | Acme Corp").display == "Jane Doe"
    assert parse_name("Mary-Kate Olsen").first == "Mary-Kate"


def test_a_listed_initial_does_not_replace_a_full_name_but_a_title_does() -> None:
    found = people.extract(event(
        Attendee("john.smith@acme.com", "John Smith"), Attendee("p.raman@acme.com", "Priya Raman"),
        description="Interviewers: J. Smith (EM), Dr. Priya Raman, Conf Room Rainier"),
        RecipientsConfig(), MINE)
    assert [(p.name, salutation(p), p.role) for p in found.interviewers] == [
        ("John Smith", "John", "EM"), ("Dr. Priya Raman", "Dr. Raman", "")]
