"""`afterword explain` and `afterword add-interviewer`, end to end on a local .ics calendar:
run → names needed → add-interviewer → run → a draft to that person in the Maildir."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from tests.conftest import calendar, local_config, run_cli, vevent

ME = "PARTSTAT=ACCEPTED;CN=Alex Rivera:mailto:alex@example.com"


NOW = datetime.now(UTC).replace(microsecond=0, second=0)


def setup(tmp_path: Path) -> Path:
    now = NOW
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("names-needed", "Interview: Platform Engineer at Acme", now - timedelta(hours=3),
               attendees=[ME, "PARTSTAT=ACCEPTED;CN=Acme Recruiting:mailto:recruiting@acme.com"],
               extra=["ORGANIZER;CN=Acme Recruiting:mailto:recruiting@acme.com"]),
        vevent("lunch", "Team lunch", now - timedelta(hours=5),
               attendees=[ME, "PARTSTAT=ACCEPTED;CN=Bo Li:mailto:bo.li@example.com",
                          "CUTYPE=ROOM;CN=Room 1:mailto:room1@example.com"]),
    ))
    return local_config(tmp_path)


def drafts(tmp_path: Path) -> list:  # type: ignore[type-arg]
    folder = tmp_path / "Mail" / ".Drafts"
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, factory=None, create=False)
    return [message_from_bytes(box.get_bytes(key), policy=default) for key in box.iterkeys()]


def interview_id(config: Path) -> str:
    status = run_cli("status", "--json", "--config", str(config))
    assert status.returncode == 0, status.stderr
    (interview,) = json.loads(status.stdout)["interviews"]
    return str(interview["event_id"])


def test_names_needed_then_add_interviewer_then_a_draft(tmp_path: Path) -> None:
    config = setup(tmp_path)
    first = run_cli("run", "--once", "--config", str(config))
    assert first.returncode == 0, first.stderr
    # No thank-you note yet, but one note asking the recruiting mailbox for the names.
    (ask,) = drafts(tmp_path)
    assert ask["To"] == "Acme Recruiting <recruiting@acme.com>"
    assert "Acme" in ask["Subject"]
    assert "names and email addresses" in ask.get_body(("plain",)).get_content()
    event_id = interview_id(config)
    data = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert data["interviews"][0]["status"] == "names_needed"
    assert data["interviews"][0]["company"] == "Acme"
    text = run_cli("status", "--config", str(config)).stdout
    assert "names needed" in text and event_id in text
    assert "asking Acme Recruiting for them is waiting in Drafts" in text

    before = run_cli("explain", event_id, "--config", str(config)).stdout.splitlines()
    assert "status: names_needed: no identifiable interviewer" in before
    assert ("ask for names: one note to Acme Recruiting <recruiting@acme.com> (the organizer "
            "(a shared mailbox)), template ask-names") in before
    assert ("  ask the receptionist or HR for their names, then `afterword add-interviewer "
            f'{event_id} "Name <address>"`') in before

    added = run_cli("add-interviewer", event_id, "Jane Doe <Jane.Doe@acme.com>",
                    "--config", str(config))
    assert added.returncode == 0, added.stderr
    assert "ready" in added.stdout
    data = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert data["interviews"][0]["status"] == "ready"
    assert data["interviews"][0]["interviewers"] == [
        {"name": "Jane Doe", "email": "jane.doe@acme.com", "needs_check": False,
         "address_needed": False, "to_check": False, "problem": None, "source": "manual",
         "notes": None}]

    second = run_cli("run", "--once", "--config", str(config))
    assert second.returncode == 0, second.stderr
    (draft,) = [d for d in drafts(tmp_path) if d["To"] != ask["To"]]
    assert len(drafts(tmp_path)) == 2  # the ask stays the only one
    assert draft["To"] == "Jane Doe <jane.doe@acme.com>"
    assert "Hi Jane," in draft.get_body(("plain",)).get_content()

    explained = run_cli("explain", event_id, "--config", str(config))
    assert explained.returncode == 0, explained.stderr
    lines = explained.stdout.splitlines()
    assert "decision: an interview: title keyword 'interview'" in lines
    assert any(line.startswith("status: ready") for line in lines)
    assert "  - Alex Rivera <alex@example.com>: not a recipient: you" in lines
    assert ("  - Acme Recruiting <recruiting@acme.com>: not a recipient: a shared mailbox"
            in lines)
    assert ('  + Jane Doe <jane.doe@acme.com>: recipient (added by hand (afterword '
            'add-interviewer)), greeted "Jane"') in lines


def test_explain_an_event_that_is_not_stored(tmp_path: Path) -> None:
    config = setup(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    # A single (non-recurring) .ics event's id is its UID.
    explained = run_cli("explain", "lunch", "--config", str(config))
    assert explained.returncode == 0, explained.stderr
    lines = explained.stdout.splitlines()
    assert lines[0] == "event: Team lunch"
    assert ("decision: not an interview: no keyword, pattern, hashtag, category or colour "
            "matched") in lines
    assert ("  - Bo Li <bo.li@example.com>: no note, the event is not an interview "
            "(otherwise: recipient)") in lines
    assert ("  - Room 1 <room1@example.com>: no note, the event is not an interview "
            "(otherwise: a room or resource)") in lines


def test_unknown_event_and_bad_interviewers_are_one_line_errors(tmp_path: Path) -> None:
    config = setup(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    unknown = run_cli("explain", "no-such-event", "--config", str(config))
    assert unknown.returncode == 2
    assert unknown.stderr == "afterword: no event with id 'no-such-event' in any account\n"
    event_id = interview_id(config)
    for bad in ("Jane Doe <jane@acme.com>\r\nBcc: evil@example.net",
                "Jane <jane@acme.com>, Bob <bob@acme.com>",
                "Jane Doe",
                "Jane Doe <jane@acme>",
                "\"Eve <a@b.com>\" <eve@acme.com>",
                "Alex <alex+jobs@example.com>"):
        result = run_cli("add-interviewer", event_id, bad, "--config", str(config))
        assert result.returncode == 2, (bad, result.stdout)
        assert result.stderr.startswith("afterword: ") and result.stderr.count("\n") == 1
    missing = run_cli("add-interviewer", "nope", "Jane <jane@acme.com>", "--config",
                      str(config))
    assert missing.returncode == 2
    assert missing.stderr.startswith("afterword: no interview with id 'nope'")
    data = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert data["interviews"][0]["status"] == "names_needed"


def test_too_many_until_the_cap_is_raised(tmp_path: Path) -> None:
    panel = [f"PARTSTAT=ACCEPTED;CN=Panel Member{i}:mailto:member{i}@acme.com" for i in range(3)]
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel", "Onsite interview", NOW - timedelta(hours=4), attendees=[ME, *panel])))
    config = local_config(tmp_path, extra="[recipients]\nmax_per_interview = 2\n")
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    data = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert data["interviews"][0]["status"] == "too_many"
    assert drafts(tmp_path) == []
    config.write_text(config.read_text().replace("max_per_interview = 2",
                                                 "max_per_interview = 3"))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert sorted(d["To"] for d in drafts(tmp_path)) == [
        f"Panel Member{i} <member{i}@acme.com>" for i in range(3)]
