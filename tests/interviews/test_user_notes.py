"""`afterword note` text: read like an invite's Notes: lines, merged with them at planning,
and each panel member's draft saying only their own detail."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon.config import Config, parse
from afterword.daemon.drafting.compose import Templates, compose_interview
from afterword.daemon.interviews import user_notes
from afterword.daemon.interviews.planning import plan
from afterword.daemon.model import Attendee, CalendarEvent, Response, UserNote

START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def event(description: str = "") -> CalendarEvent:
    people = [("Jane Doe", "jane@acme.com"), ("Bob Roe", "bob@acme.com"),
              ("Priya Raman", "priya@acme.com")]
    return CalendarEvent(
        account="local", calendar="cal", id="ev-1", title="Acme - Senior Data Engineer - Onsite",
        start=START, end=START + timedelta(hours=1), description=description,
        attendees=(Attendee("alex@example.com", "Alex Rivera", Response.ACCEPTED, is_self=True),
                   *(Attendee(a, n, Response.ACCEPTED) for n, a in people)))


def config(tmp_path: Path) -> Config:
    return parse({"me": {"name": "Alex Rivera", "emails": ["alex@example.com"],
                         "timezone": "Europe/Berlin"},
                  "accounts": [{"name": "local", "provider": "local", "calendar": "c.ics",
                                "maildir": "Mail"}]}, tmp_path)


def test_lines_are_read_like_the_invites_notes() -> None:
    assert user_notes.read_lines("Jane: the data pipeline migration\n\n- Bob Roe: on-call\n"
                                 "They move to Kafka") == [
        UserNote("Jane", "the data pipeline migration"), UserNote("Bob Roe", "on-call"),
        UserNote("", "They move to Kafka")]
    # --for owns every line, heads and all.
    assert user_notes.read_lines("Kafka: the migration plan", who="Jane") == [
        UserNote("Jane", "Kafka: the migration plan")]
    assert len(user_notes.read_lines("x" * 1000)[0].text) == 300


def test_merged_after_the_invites_notes_and_held_for_someone_not_on_the_panel(
        tmp_path: Path) -> None:
    mine = [UserNote("jane@acme.com", "her team's roadmap"), UserNote("", "hiring two more"),
            UserNote("Janet", "the offsite")]
    interview = plan(event("Notes:\nJane: the data pipeline migration\nGreat office"),
                     config(tmp_path), ["alex@example.com"], notes=mine).interview
    assert interview is not None
    notes = {p.name: p.notes for p in interview.interviewers}
    assert notes == {"Jane Doe": "the data pipeline migration; her team's roadmap",
                     "Bob Roe": "", "Priya Raman": ""}
    assert interview.notes == "Great office hiring two more"
    assert "offsite" not in repr(interview)  # Janet is nobody on this panel
    assert user_notes.held(interview, mine) == [UserNote("Janet", "the offsite")]


def test_a_panels_notes_never_repeat_one_persons_detail_to_another(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    mine = [UserNote("Bob", "how on-call rotations work")]
    for general in ("", "Notes:\nthe move to streaming ingestion"):
        description = "Notes:\nJane: the data pipeline migration" + (
            "\n" + general.split("\n", 1)[1] if general else "")
        interview = plan(event(description), cfg, ["alex@example.com"], notes=mine).interview
        assert interview is not None
        composed = compose_interview(cfg, Templates(None), "local", interview,
                                     from_address="alex@example.com",
                                     now=START + timedelta(hours=2))
        texts = {}
        for draft in composed.drafts:
            message = email.message_from_bytes(draft.message.as_bytes(),
                                               policy=email.policy.default)
            part = message.get_body(("plain",))
            assert part is not None
            texts[draft.key.recipient] = str(part.get_content())
        assert "the data pipeline migration" in texts["jane@acme.com"]
        assert "how on-call rotations work" in texts["bob@acme.com"]
        for who, text in texts.items():
            if who != "jane@acme.com":
                assert "pipeline" not in text, f"Jane's detail in {who}'s draft"
            if who != "bob@acme.com":
                assert "on-call" not in text, f"Bob's detail in {who}'s draft"
        # Priya, without notes of her own, gets the interview's (or the general line).
        assert ("streaming ingestion" in texts["priya@acme.com"]) == bool(general)
