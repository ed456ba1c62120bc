"""Detection rules one by one: word-bounded keywords, exclusions win, hashtags, the private
property, event types, all-day, and "no one else is there"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afterword.daemon.config import DetectConfig, RecipientsConfig
from afterword.daemon.interviews.detect import decide
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response

MINE = ("alex@example.com",)
JANE = Attendee("jane@acme.com", "Jane Doe", Response.ACCEPTED)
START = datetime(2026, 3, 2, 15, tzinfo=UTC)


def event(title: str, **kw: object) -> CalendarEvent:
    values: dict[str, object] = {"attendees": (JANE,), **kw}
    return CalendarEvent(account="a", calendar="c", id="e1", title=title, start=START,
                         end=START + timedelta(hours=1), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("title", "rule"), [
    ("Interview", "keyword"),
    ("INTERVIEW with Acme", "keyword"),
    ("Onsite interviews at Acme", "keyword"),
    ("Phone-screen: Acme", "keyword"),
    ("Phone  screen", "keyword"),
    ("Interviewer training", "excluded"),
    ("Interviewer sync", "no_match"),
    ("Interviewing tips webinar", "no_match"),
    ("Interview prep", "excluded"),
    ("Mock interview", "excluded"),
    ("Debrief after interview", "excluded"),
    ("Preparing for the interview", "keyword"),  # "prep" is word-bounded too
    ("Lunch", "no_match"),
    # Invites in other languages: whole words, or anywhere in scripts without spaces.
    ("Vorstellungsgespräch – Data Engineer – Siemens", "keyword"),
    ("Entretien d'embauche - Ingénieur logiciel", "keyword"),
    ("Entrevista: Analista de datos", "keyword"),
    ("Rozmowa kwalifikacyjna - Programista", "keyword"),
    ("【一次面接】ソフトウェアエンジニア", "keyword"),
    ("技术面试 - 后端工程师", "keyword"),
    ("인터뷰 일정 안내", "keyword"),
    ("Entretien annuel", "no_match"),  # a yearly review, not a job interview
])
def test_keywords_are_word_bounded_and_exclusions_win(title: str, rule: str) -> None:
    assert decide(event(title), DetectConfig(), MINE).rule == rule


def test_user_patterns_hashtags_categories_and_colours() -> None:
    rules = DetectConfig(patterns=(r"^HM\b",), google_colors=("11",), hashtags=("#jobhunt",))
    assert decide(event("HM chat"), rules, MINE).rule == "pattern"
    assert decide(event("Call", description="<b>#jobhunt</b>"), rules, MINE).rule == "hashtag"
    assert decide(event("Call", description="#jobhunting"), rules, MINE).rule == "no_match"
    assert decide(event("Call", categories=("interview",)), rules, MINE).rule == "category"
    assert decide(event("Call", color_id="11"), rules, MINE).rule == "color"
    assert decide(event("Call", color_id="3"), rules, MINE).rule == "no_match"


def test_private_property_marks_and_unmarks() -> None:
    rules = DetectConfig()
    marked = event("Coffee", private_properties={"afterword": "interview"})
    assert decide(marked, rules, MINE).rule == "property"
    unmarked = event("Interview panel sync", private_properties={"Afterword": "no"})
    assert decide(unmarked, rules, MINE).rule == "property_no"
    renamed = DetectConfig(private_property="isInterview")
    assert decide(event("Coffee", private_properties={"isInterview": "true"}), renamed,
                  MINE).rule == "property"


@pytest.mark.parametrize(("kw", "rule"), [
    ({"status": EventStatus.CANCELLED}, "cancelled"),
    ({"my_response": Response.DECLINED}, "declined"),
    ({"attendees": (JANE, Attendee("alex+jobs@example.com", response=Response.DECLINED))},
     "declined"),
    ({"event_type": "focusTime"}, "event_type"),
    ({"event_type": "outOfOffice"}, "event_type"),
    ({"event_type": "workingLocation"}, "event_type"),
    ({"all_day": True}, "all_day"),
    ({"attendees": ()}, "no_one_else"),
    ({"attendees": (Attendee("alex@example.com", is_self=True),
                    Attendee("room@acme.com", "Room 1", is_resource=True))}, "no_one_else"),
    ({"attendees": (Attendee("noreply@acme.com"),)}, "no_one_else"),
    ({"attendees": (), "attendees_hidden": True}, "keyword"),
    ({"attendees": (Attendee("recruiting@acme.com"),)}, "keyword"),
    ({"attendees": (), "description": "Interviewers: Jane Doe, John Smith"}, "keyword"),
])
def test_skips_with_reasons(kw: dict[str, object], rule: str) -> None:
    decision = decide(event("Interview", **kw), DetectConfig(), MINE, RecipientsConfig())
    assert decision.rule == rule
    assert decision.is_interview is (rule == "keyword")
    assert decision.reason


def test_all_day_included_when_asked() -> None:
    assert decide(event("Interview", all_day=True), DetectConfig(all_day=True),
                  MINE).is_interview
