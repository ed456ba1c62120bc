"""The description's `Notes:` section → interviewer.notes and interview.notes (read by the
one pass over the description, `description.parse`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from afterword.daemon.interviews import description as reader
from afterword.daemon.interviews.notes import NoteLine
from afterword.daemon.interviews.notes import apply_notes as apply_lines
from afterword.daemon.model import Interview, Interviewer

JANE = Interviewer("Jane Doe", "jane.doe@acme.example", "Jane", "Doe")
JOHN = Interviewer("John Smith", "john.smith@acme.example", "John", "Smith")
PRIYA = Interviewer("Priya Raman", "priya@acme.example", "Priya", "Raman", title="Dr.")
START = datetime(2026, 3, 3, 9, tzinfo=UTC)


def interview(*people: Interviewer) -> Interview:
    """A bare interview with these interviewers."""
    return Interview("a", "e", "Interview", START, START + timedelta(hours=1), people)


def parse_notes(text: str) -> list[NoteLine]:
    """The Notes lines of a description, as the one reading pass finds them."""
    return list(reader.parse(text).notes)


def apply_notes(iv: Interview, text: str) -> Interview:
    """`iv` with the notes of description `text`."""
    return apply_lines(iv, reader.parse(text).notes)


def test_per_person_and_general_lines() -> None:
    description = (
        "Panel interview for the Data Engineer role.\n"
        "Join: https://meet.example.com/abc\n"
        "\n"
        "Notes:\n"
        "Jane: the data pipeline migration\n"
        "- Priya Raman: how her team runs on-call\n"
        "They are moving to streaming ingestion\n"
        "\n"
        "Agenda:\n"
        "John: system design\n"
    )
    iv = apply_notes(interview(JANE, JOHN, PRIYA), description)
    jane, john, priya = iv.interviewers
    assert jane.notes == "the data pipeline migration"
    assert priya.notes == "how her team runs on-call"
    assert john.notes == ""  # the Agenda section is not notes
    assert iv.notes == "They are moving to streaming ingestion"
    # Everything else about the interview is untouched.
    assert (jane.name, jane.email) == ("Jane Doe", "jane.doe@acme.example")


def test_people_are_matched_by_first_last_full_name_or_address_case_insensitively() -> None:
    description = ("NOTES: jane: a\njohn smith: b\nRAMAN: c\njane.doe@acme.example: d\n"
                   "priya: e")
    jane, john, priya = apply_notes(interview(JANE, JOHN, PRIYA), description).interviewers
    assert jane.notes == "a; d"
    assert john.notes == "b"
    assert priya.notes == "c; e"


def test_an_ambiguous_or_unknown_name_stays_a_general_note() -> None:
    jane2 = Interviewer("Jane Roe", "jane.roe@acme.example", "Jane", "Roe")
    iv = apply_notes(interview(JANE, jane2), "Notes:\nJane: pipelines\nBob: he left early\n"
                                            "Jane Roe: hiring plans")
    assert [p.notes for p in iv.interviewers] == ["", "hiring plans"]
    assert iv.notes == "Jane: pipelines Bob: he left early"


def test_notes_on_the_heading_line_and_urls_are_general() -> None:
    lines = parse_notes("Notes: ask about team size\nhttps://acme.example/jobs/42")
    assert lines == [NoteLine("", "ask about team size", "ask about team size"),
                     NoteLine("", "https://acme.example/jobs/42",
                              "https://acme.example/jobs/42")]


def test_html_descriptions_from_google_and_outlook() -> None:
    description = ("<p>Interview</p><p><b>Notes:</b><br>Jane: the data &amp; ML "
                   "platform<br>general &lt;stuff&gt;</p>")
    iv = apply_notes(interview(JANE), description)
    assert iv.interviewers[0].notes == "the data & ML platform"
    assert iv.notes == "general <stuff>"


def test_no_notes_section_changes_nothing() -> None:
    iv = interview(JANE)
    assert apply_notes(iv, "Interview with Jane. Notes are welcome") is iv
    assert apply_notes(iv, "") is iv
    assert parse_notes("Notes:\n\n") == []


def test_windows_line_ends_bullets_and_non_ascii_names() -> None:
    zoe = Interviewer("Zoë Łukasiewicz", "zoe@acme.example", "Zoë", "Łukasiewicz")
    iv = apply_notes(interview(zoe), "Notes:\r\n* Zoë: l’équipe de données\r\n")
    assert iv.interviewers[0].notes == "l’équipe de données"


def test_very_long_note_lines_are_capped() -> None:
    iv = apply_notes(interview(JANE), "Notes:\nJane: " + "x" * 5000)
    assert len(iv.interviewers[0].notes) <= 300
