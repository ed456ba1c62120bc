"""End to end: the installed `afterword` on a local calendar and Maildir."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import calendar, local_config, run_cli, vevent

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def fresh_now() -> None:
    """NOW as each test starts: a long suite must not push "ended 10 minutes ago" past
    the 30-minute drafting delay (it did, once the suite ran for over half an hour)."""
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0)


def panel_event(uid: str = "panel-1", ended_ago: timedelta = timedelta(hours=1)) -> str:
    # The clock now, not at import: in a long, loaded run "ended 10 minutes ago" must not
    # become "ended 40 minutes ago" (past drafts.delay) before the test gets to run.
    start = datetime.now(UTC).replace(microsecond=0) - ended_ago - timedelta(hours=1)
    return vevent(uid, "Interview: Data Engineer at Acme", start, attendees=[
        "CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example",
        'CN="Smith, John";PARTSTAT=ACCEPTED:mailto:john.smith@acme.example',
        "CN=Room Everest;CUTYPE=ROOM:mailto:everest@acme.example",
        "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com",
        "CN=Sam Lee;PARTSTAT=DECLINED:mailto:sam.lee@acme.example",
    ])


def drafts_in(folder: Path) -> list[EmailMessage]:
    cur = folder / "cur"
    if not cur.is_dir():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore
            for p in sorted(cur.iterdir())]


def status(config: Path) -> dict:
    result = run_cli("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_cycle_drafts_one_note_per_interviewer(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "2 draft(s) written" in result.stdout
    drafts = drafts_in(tmp_path / "Mail" / ".Drafts")
    assert sorted(str(d["To"]) for d in drafts) == [
        "Jane Doe <jane.doe@acme.example>", "John Smith <john.smith@acme.example>"]
    by_to = {d["To"].addresses[0].addr_spec: d for d in drafts}
    assert by_to["jane.doe@acme.example"].get_content().startswith("Hi Jane,")
    assert by_to["john.smith@acme.example"].get_content().startswith("Hi John,")
    for draft in drafts:
        assert draft["Subject"].startswith("Thank you")
        assert str(draft["From"]) == "Alex Rivera <alex@example.com>"
        assert len(draft["X-Afterword-Key"]) == 16
        assert draft["Message-ID"]
    files = list((tmp_path / "Mail" / ".Drafts" / "cur").iterdir())
    assert all(f.name.endswith(":2,DS") for f in files)

    data = status(config)
    [interview] = data["interviews"]
    assert interview["event_id"] == "panel-1"
    assert {p["email"] for p in interview["interviewers"]} == {
        "jane.doe@acme.example", "john.smith@acme.example"}
    assert {(d["recipient"], d["recipient_name"], d["state"]) for d in data["drafts"]} == {
        ("jane.doe@acme.example", "Jane Doe", "drafted"),
        ("john.smith@acme.example", "John Smith", "drafted")}
    assert all(d["provider_id"] and d["created_at"] for d in data["drafts"])


def test_a_second_run_never_drafts_twice(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    for _ in range(3):
        assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert len(drafts_in(tmp_path / "Mail" / ".Drafts")) == 2
    assert len(status(config)["drafts"]) == 2


def test_sent_and_discarded_drafts_are_noticed(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    root = mailbox.Maildir(tmp_path / "Mail")
    drafts, sent = root.get_folder("Drafts"), root.add_folder("Sent")
    by_to = {drafts[k]["To"]: k for k in drafts.keys()}  # noqa: SIM118
    jane = by_to["Jane Doe <jane.doe@acme.example>"]
    sent.add(drafts[jane])  # the user sent Jane's note...
    drafts.remove(jane)
    drafts.remove(by_to["John Smith <john.smith@acme.example>"])  # ...and deleted John's
    result = run_cli("run", "--once", "--config", str(config))
    assert "2 draft(s) closed" in result.stdout
    states = {d["recipient"]: d for d in status(config)["drafts"]}
    assert states["jane.doe@acme.example"]["state"] == "sent"
    assert states["jane.doe@acme.example"]["sent_at"]
    assert states["john.smith@acme.example"]["state"] == "discarded"
    # Neither is drafted again.
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert drafts_in(tmp_path / "Mail" / ".Drafts") == []


def test_only_interviews_in_the_drafting_window_are_drafted(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        panel_event("too-recent", ended_ago=timedelta(minutes=10)),  # delay is 30m
        panel_event("too-old", ended_ago=timedelta(days=8)),  # max_age is 7d
        vevent("not-an-interview", "Team lunch", NOW - timedelta(hours=3), attendees=[
            "CN=Jane Doe:mailto:jane.doe@acme.example"]),
        vevent("prep", "Interview prep", NOW - timedelta(hours=3), attendees=[
            "CN=Coach:mailto:coach@example.org"]),
    ))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert drafts_in(tmp_path / "Mail" / ".Drafts") == []
    data = status(config)
    # Both are known interviews; neither is drafted (one too recent, one too old).
    assert sorted(i["event_id"] for i in data["interviews"]) == ["too-old", "too-recent"]
    assert data["drafts"] == []


def test_a_cancelled_interview_gets_no_drafts(tmp_path: Path) -> None:
    cal = tmp_path / "calendar.ics"
    cal.write_text(calendar(panel_event(ended_ago=timedelta(minutes=5))))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert status(config)["interviews"]
    cal.write_text(calendar(panel_event(ended_ago=timedelta(minutes=5)).replace(
        "SUMMARY:", "STATUS:CANCELLED\r\nSUMMARY:")))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert status(config)["interviews"] == []


def test_a_broken_calendar_is_one_line_and_other_accounts_keep_working(tmp_path: Path) -> None:
    good = tmp_path / "good.ics"
    good.write_text(calendar(panel_event()))
    bad = tmp_path / "bad.ics"
    bad.write_text("BEGIN:VCALENDAR\r\nthis is not ical\r\n")
    accounts = (
        f'[[accounts]]\nname = "broken"\nprovider = "local"\ncalendar = "{bad}"\n'
        f'maildir = "{tmp_path / "Mail1"}"\n\n'
        f'[[accounts]]\nname = "fine"\nprovider = "local"\ncalendar = "{good}"\n'
        f'maildir = "{tmp_path / "Mail2"}"\n'
    )
    config = local_config(tmp_path, accounts=accounts)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 1
    assert f"account broken: {bad}: not a valid iCalendar file" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(drafts_in(tmp_path / "Mail2" / ".Drafts")) == 2
    accounts_state = {a["name"]: a for a in status(config)["accounts"]}
    assert "not a valid iCalendar file" in accounts_state["broken"]["last_error"]
    assert accounts_state["fine"]["last_error"] is None


def test_an_unwritable_maildir_records_nothing_as_drafted(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    (tmp_path / "blocker").write_text("a file where the Maildir's parent should be")
    accounts = (f'[[accounts]]\nname = "local"\nprovider = "local"\n'
                f'calendar = "{tmp_path / "calendar.ics"}"\n'
                f'maildir = "{tmp_path / "blocker" / "Mail"}"\n')
    config = local_config(tmp_path, accounts=accounts)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 1
    assert "account local: maildir" in result.stderr
    drafts = status(config)["drafts"]
    assert drafts and all(d["state"] == "failed" and d["provider_id"] is None for d in drafts)
    # Once the Maildir can be written, the next cycle drafts each note exactly once.
    (tmp_path / "blocker").unlink()
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert len(drafts_in(tmp_path / "blocker" / "Mail" / ".Drafts")) == 2
    assert {d["state"] for d in status(config)["drafts"]} == {"drafted"}


def test_a_crash_after_the_draft_was_written_does_not_duplicate_it(tmp_path: Path) -> None:
    """A draft written but not recorded (the process died in between) is found by its key."""
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    # Simulate the crash window: the mailbox has the drafts, the state says only "planned".
    db = sqlite3.connect(Path(os.environ["XDG_STATE_HOME"]) / "afterword" / "state.db")
    db.execute("UPDATE drafts SET state = 'planned', provider_id = NULL, created_at = NULL")
    db.execute("UPDATE interviews SET drafted = 0")
    db.commit()
    db.close()
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert len(drafts_in(tmp_path / "Mail" / ".Drafts")) == 2
    assert {d["state"] for d in status(config)["drafts"]} == {"drafted"}


def test_status_table_is_readable(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        panel_event(), panel_event("later", ended_ago=-timedelta(days=1))))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    result = run_cli("status", "--config", str(config))
    assert result.returncode == 0
    assert "Upcoming interviews" in result.stdout
    assert "Drafts waiting for you to send" in result.stdout
    assert "Jane Doe <jane.doe@acme.example>" in result.stdout


def test_demo_runs_on_a_fresh_machine(tmp_path: Path) -> None:
    result = run_cli("demo", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert "2 drafts written" in result.stdout
    assert "To: Jane Doe <jane.doe@acme.example>" in result.stdout \
        or "To: John Smith <john.smith@acme.example>" in result.stdout
    drafts = drafts_in(tmp_path / "demo" / "Mail" / ".Drafts")
    recipients = sorted(d["To"].addresses[0].addr_spec for d in drafts)
    # Not the room, not the user, not the decliner, not the recruiting mailbox.
    assert recipients == ["jane.doe@acme.example", "john.smith@acme.example"]
    assert "upcoming: 'Globex phone screen'" in result.stdout


def test_version_and_no_bare_modules_installed(tmp_path: Path) -> None:
    assert run_cli("--version").stdout.startswith("afterword ")
    # From an unrelated folder, only the `afterword` package is importable.
    probe = ("import importlib.util as u;"
             "print([m for m in ('daemon', 'providers', 'templates') if u.find_spec(m)],"
             " bool(u.find_spec('afterword.daemon')), bool(u.find_spec('afterword.templates')))")
    out = subprocess.run([sys.executable, "-I", "-c", probe], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True True"


def test_a_local_only_user_never_imports_google_or_microsoft_libraries(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    probe = (
        "import sys; from afterword.daemon.cli import main;"
        f"status = main(['run', '--once', '--config', {str(config)!r}]);"
        "heavy = [m for m in ('msal', 'googleapiclient', 'google.oauth2', 'requests')"
        " if m in sys.modules];"
        "print(status, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"


def test_shared_options_work_before_and_after_the_subcommand(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = str(local_config(tmp_path))
    assert run_cli("--config", config, "run", "--once").returncode == 0
    before = run_cli("--config", config, "status", "--json")
    after = run_cli("status", "--json", "--config", config)
    assert before.returncode == after.returncode == 0
    assert len(json.loads(before.stdout)["drafts"]) == 2
    keys = {d["key"] for d in json.loads(before.stdout)["drafts"]}
    assert keys == {d["key"] for d in json.loads(after.stdout)["drafts"]}
    assert run_cli("--config", str(tmp_path / "none.toml"), "status").returncode == 2


def test_a_bad_event_or_file_is_skipped_loudly_and_nothing_else_is_lost(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "good.ics").write_text(calendar(panel_event("good-1")))
    broken_event = vevent("broken", "Interview: broken", NOW - timedelta(hours=3)).replace(
        f"DTSTART:{(NOW - timedelta(hours=3)).strftime('%Y%m%dT%H%M%SZ')}", "DTSTART:garbage")
    (folder / "mixed.ics").write_text(calendar(panel_event("fine-2"), broken_event))
    config = local_config(tmp_path, calendar_path=folder)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "skipped event broken" in result.stderr
    # Both good interviews drafted, one note per interviewer.
    assert len(drafts_in(tmp_path / "Mail" / ".Drafts")) == 4
    [account] = status(config)["accounts"]
    assert "skipped event broken" in account["last_error"]

    # A whole file becomes unreadable (say, half-written by a sync tool): the interviews
    # it held are not cancelled, and the warning stays visible.
    (folder / "good.ics").write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:")
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0
    assert f"{folder / 'good.ics'}: not a valid iCalendar file" in result.stderr
    interviews = {i["event_id"]: i["status"] for i in status(config)["interviews"]}
    assert interviews == {"good-1": "ready", "fine-2": "ready"}
    assert "not a valid iCalendar file" in status(config)["accounts"][0]["last_error"]
    # Fixed again: the warning goes away.
    (folder / "good.ics").write_text(calendar(panel_event("good-1")))
    (folder / "mixed.ics").write_text(calendar(panel_event("fine-2")))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert status(config)["accounts"][0]["last_error"] is None
    assert len(drafts_in(tmp_path / "Mail" / ".Drafts")) == 4
