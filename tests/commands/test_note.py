"""`afterword note` as a user types it: the installed CLI on a local calendar."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import calendar, local_config, run_cli, vevent

JANE = 'CN=Jane Doe;ROLE=REQ-PARTICIPANT:mailto:jane@acme.com'
BOB = 'CN=Bob Roe;ROLE=REQ-PARTICIPANT:mailto:bob@acme.com'
ME = 'CN=Alex Rivera;ROLE=REQ-PARTICIPANT:mailto:alex@example.com'


def cli(config: Path, *args: str, input: str | None = None) -> Any:
    return run_cli(*args, "--config", str(config), input=input)


def setup(tmp_path: Path, *events: str) -> Path:
    (tmp_path / "calendar.ics").write_text(calendar(*events))
    # Drafts an hour after the end: nothing is drafted while these tests note things.
    config = local_config(tmp_path, extra='[drafts]\ndelay = "1h"\n')
    assert cli(config, "run", "--once").returncode == 0
    return config


def status(config: Path) -> dict[str, Any]:
    result = cli(config, "status", "--json")
    assert result.returncode == 0, result.stderr
    return {i["event_id"]: i for i in json.loads(result.stdout)["interviews"]}


def test_notes_by_name_address_prefix_and_stdin_then_show_and_clear(tmp_path: Path) -> None:
    ended = datetime.now(UTC) - timedelta(minutes=10)
    config = setup(tmp_path, vevent("panel-acme-1", "Acme - Data Engineer - Onsite",
                                    ended - timedelta(hours=1), attendees=[JANE, BOB, ME]))
    done = cli(config, "note", "panel-acme", "Jane: the data pipeline migration")
    assert done.returncode == 0, done.stderr
    assert "noted for Jane Doe: the data pipeline migration" in done.stdout
    by_address = cli(config, "note", "last", "on-call: how it works", "--for", "BOB@acme.com")
    assert "noted for Bob Roe: on-call: how it works" in by_address.stdout
    piped = cli(config, "note", "last", "-", input="They move to Kafka\n\nBob: the offsite\n")
    assert piped.returncode == 0, piped.stderr

    interview = status(config)["panel-acme-1"]
    assert interview["notes"] == "They move to Kafka"
    assert {p["name"]: p["notes"] for p in interview["interviewers"]} == {
        "Jane Doe": "the data pipeline migration",
        "Bob Roe": "on-call: how it works; the offsite"}
    table = cli(config, "status").stdout
    assert "notes for Jane Doe, Bob Roe, the whole interview" in table

    shown = cli(config, "note", "last", "--show")
    assert shown.stdout.splitlines() == [
        "  Jane Doe: the data pipeline migration",
        "  Bob Roe: on-call: how it works; the offsite",
        "  the whole interview: They move to Kafka"]
    preview = cli(config, "preview", "last").stdout
    assert "Notes:\n  Jane Doe: the data pipeline migration" in preview
    janes, bobs = preview.split("To: Jane Doe")[1].split("To: Bob Roe")
    assert "the data pipeline migration" in janes and "pipeline" not in bobs
    assert "the offsite" in bobs and "offsite" not in janes
    explained = cli(config, "explain", "last").stdout
    assert "  Bob Roe: on-call: how it works; the offsite" in explained

    cleared = cli(config, "note", "last", "--clear", "--for", "Bob")
    assert "removed 2 note(s)" in cleared.stdout
    interview = status(config)["panel-acme-1"]
    assert {p["name"]: p["notes"] for p in interview["interviewers"]} == {
        "Jane Doe": "the data pipeline migration", "Bob Roe": None}
    assert "removed 2 note(s)" in cli(config, "note", "last", "--clear").stdout
    assert status(config)["panel-acme-1"]["notes"] is None


def test_a_name_not_on_the_panel_and_bad_usage_are_one_line_errors(tmp_path: Path) -> None:
    ended = datetime.now(UTC) - timedelta(minutes=10)
    config = setup(tmp_path, vevent("panel-acme-1", "Acme - Data Engineer - Onsite",
                                    ended - timedelta(hours=1), attendees=[JANE, BOB, ME]))
    wrong = cli(config, "note", "last", "Janet: the offsite")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("afterword: 'Janet' is none of the interviewers of "
                                   "Acme — Data Engineer (Jane Doe, Bob Roe)")
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert cli(config, "note", "last", "x", "--for", "Janet").returncode == 2
    assert "nothing to note" in cli(config, "note", "last", "  \n").stderr
    both = cli(config, "note", "last", "x", "--show")
    assert both.returncode == 2 and "--show or --clear" in both.stderr
    assert "no interview with id 'nope-nope'" in cli(config, "note", "nope-nope", "x").stderr
    assert status(config)["panel-acme-1"]["notes"] is None


def test_last_is_the_interview_that_ended_most_recently(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    config = setup(tmp_path,
                   vevent("older@acme", "Acme onsite interview", now - timedelta(hours=4),
                          attendees=[JANE, ME]),
                   vevent("recent@globex", "Globex phone screen", now - timedelta(hours=1),
                          minutes=30, attendees=['CN=Carol Poe:mailto:carol@globex.com', ME]),
                   vevent("later@initech", "Initech interview", now + timedelta(hours=2),
                          attendees=['CN=Dan Li:mailto:dan@initech.com', ME]))
    done = cli(config, "note", "last", "Carol: the API design")
    assert "Globex phone screen (recent@globex):" in done.stdout
    assert status(config)["recent@globex"]["interviewers"][0]["notes"] == "the API design"


def test_a_note_waits_for_a_name_added_later(tmp_path: Path) -> None:
    ended = datetime.now(UTC) - timedelta(minutes=10)
    # Only you and recruiting@: names needed.
    config = setup(tmp_path, vevent("onsite@acme", "Onsite interview with Acme",
                                    ended - timedelta(hours=1), attendees=[
                                        ME, 'CN=Acme Recruiting:mailto:recruiting@acme.com']))
    held = cli(config, "note", "last", "Jane: the data pipeline migration")
    assert held.returncode == 0, held.stderr
    assert "noted for Jane (nobody of that name is known yet" in held.stdout
    interview = status(config)["onsite@acme"]
    assert interview["notes_held"] == [{"for": "Jane",
                                        "text": "the data pipeline migration"}]
    assert interview["notes"] is None  # not told to whoever is added next

    added = cli(config, "add-interviewer", "last", "Jane Doe <jane@acme.com>")
    assert added.returncode == 0, added.stderr
    interview = status(config)["onsite@acme"]
    assert interview["notes_held"] == []
    assert interview["interviewers"][0]["notes"] == "the data pipeline migration"
