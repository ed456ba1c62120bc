"""`afterword explain` on cancelled and removed events (a local .ics calendar, end to end):
the event is found, the decision says it is cancelled, no note will be drafted, and notes
drafted before are named as staying in Drafts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import calendar, local_config, run_cli, vevent

NOW = datetime.now(UTC).replace(microsecond=0, second=0)
PANEL = ["CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example",
         "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com"]


def interview(uid: str, cancelled: bool = False) -> str:
    return vevent(uid, "Interview: Data Engineer at Acme", NOW - timedelta(hours=2),
                  attendees=PANEL, extra=["STATUS:CANCELLED"] if cancelled else [])


def explain(config: Path, event_id: str) -> list[str]:
    result = run_cli("explain", event_id, "--config", str(config))
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_an_event_cancelled_before_it_was_ever_seen(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(interview("gone-early", cancelled=True)))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    lines = explain(config, "gone-early")
    assert lines[0] == "event: Interview: Data Engineer at Acme"
    assert "decision: skipped: the event is cancelled" in lines
    assert "  no note will be drafted for it" in lines
    assert ("  - Jane Doe <jane.doe@acme.example>: no note, the event is cancelled "
            "(otherwise: recipient)") in lines
    assert not any("drafted before" in line for line in lines)


def test_an_interview_cancelled_after_its_note_was_drafted(tmp_path: Path) -> None:
    cal = tmp_path / "calendar.ics"
    cal.write_text(calendar(interview("panel")))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert "decision: an interview: title keyword 'interview'" in explain(config, "panel")
    cal.write_text(calendar(interview("panel", cancelled=True)))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    lines = explain(config, "panel")
    # The state still holds the event as it was before; the calendar says it is cancelled.
    assert "decision: skipped: the event is cancelled" in lines
    assert not any(line.startswith("status: ") for line in lines)
    assert "  no note will be drafted for it" in lines
    assert ("  1 note(s) drafted before stay in your Drafts folder (Afterword never deletes "
            "mail): delete them if they are no longer wanted; until then reminders go on "
            "(`afterword done KEY` stops them):") in lines
    (key_line,) = [line for line in lines if line.startswith("    ")]
    assert key_line.endswith("  Jane Doe") and len(key_line.split()[0]) == 16


def test_an_interview_removed_from_the_calendar(tmp_path: Path) -> None:
    cal = tmp_path / "calendar.ics"
    cal.write_text(calendar(interview("panel")))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    cal.write_text(calendar())
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    lines = explain(config, "panel")
    assert ("decision: skipped: the event is no longer in the calendar (deleted or moved "
            "away)") in lines
    assert "  no note will be drafted for it" in lines
    assert ("  - Jane Doe <jane.doe@acme.example>: no note, the event was removed "
            "(otherwise: recipient)") in lines


def test_an_interview_retitled_into_a_non_interview_is_explained_as_it_is_now(
        tmp_path: Path) -> None:
    cal = tmp_path / "calendar.ics"
    cal.write_text(calendar(interview("panel")))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    cal.write_text(calendar(vevent("panel", "Coffee with Jane", NOW - timedelta(hours=2),
                                   attendees=PANEL)))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    lines = explain(config, "panel")
    assert lines[0] == "event: Coffee with Jane"
    assert ("decision: not an interview: no keyword, pattern, hashtag, category or colour "
            "matched") in lines
