"""`afterword done` / `snooze`, status's reminder columns, names-needed and re-auth reminders,
and the daemon's systemd handshake (sd_notify) and journald log lines."""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon import config as config_module
from afterword.daemon.reminders import sending
from afterword.daemon.runtime.service import Service, clock_jump
from afterword.daemon.runtime.store import Store
from tests.conftest import calendar, local_config, run_cli, vevent
from tests.daemon_proc import Daemon

JANE = 'CN=Jane Doe;ROLE=REQ-PARTICIPANT:mailto:jane@acme.com'


def ended_interview(tmp_path: Path, attendees: list[str], uid: str = "one@acme") -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent(uid, "Interview with Acme", start, attendees=attendees)))


def status(config: Path) -> dict:
    result = run_cli("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_snooze_and_done_change_the_next_reminder(tmp_path: Path) -> None:
    ended_interview(tmp_path, [JANE])
    config = local_config(tmp_path, extra=(
        'after = "3h"\nquiet_hours = ""\n[[reminders.channels]]\ntype = "command"\n'
        'command = ["true"]\n'))
    config.write_text(config.read_text().replace("channels = []\n", ""))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    draft = status(config)["drafts"][0]
    made = datetime.fromisoformat(draft["created_at"])
    assert datetime.fromisoformat(draft["next_reminder_at"]) == made + timedelta(hours=3)
    assert draft["age_seconds"] >= 0

    result = run_cli("snooze", draft["key"][:8], "5h", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: no reminder about {draft['key']} before ")
    snoozed = status(config)["drafts"][0]
    assert datetime.fromisoformat(snoozed["next_reminder_at"]) > made + timedelta(hours=4)

    table = run_cli("status", "--config", str(config)).stdout
    assert "AGE" in table and "NEXT REMINDER" in table
    row = next(line for line in table.splitlines() if line.strip().startswith(draft["key"]))
    assert "Jane Doe <jane@acme.com>" in row

    result = run_cli("done", draft["key"], "--config", str(config))
    assert result.returncode == 0 and "no more reminders" in result.stdout
    done = status(config)["drafts"][0]
    assert done["state"] == "dismissed" and done["next_reminder_at"] is None
    # A later cycle does not reopen or re-draft it.
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert status(config)["drafts"][0]["state"] == "dismissed"


def test_done_and_snooze_errors_are_one_line(tmp_path: Path) -> None:
    ended_interview(tmp_path, [JANE])
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    result = run_cli("done", "nosuchkey", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == ("afterword: no draft or interview with key "
                                     "'nosuchkey'; `afterword status` lists them")
    key = status(config)["drafts"][0]["key"]
    result = run_cli("snooze", key, "a while", "--config", str(config))
    assert result.returncode == 2 and "not a duration" in result.stderr


def test_done_and_snooze_take_an_event_id_meaning_every_draft_of_it(tmp_path: Path) -> None:
    # As the README says: a key, an event id, or a unique prefix.
    ended_interview(tmp_path, [JANE, 'CN=Bob Roe:mailto:bob@acme.com'], uid="panel@acme")
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    snoozed = run_cli("snooze", "panel@acme", "4h", "--config", str(config))
    assert snoozed.returncode == 0, snoozed.stderr
    assert "no reminder about the drafts of that interview before" in snoozed.stdout
    done = run_cli("done", "panel", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok: no more reminders about the 2 draft(s) of that interview"
    assert {d["state"] for d in status(config)["drafts"]} == {"dismissed"}
    again = run_cli("done", "panel@acme", "--config", str(config))
    assert again.returncode == 0 and "already sent, discarded or done" in again.stdout


def test_names_needed_and_reauth_are_reminded_with_what_to_do(tmp_path: Path) -> None:
    # Only you and a shared recruiting mailbox: an interview, but nobody to thank yet.
    ended_interview(tmp_path, ['CN=Alex Rivera:mailto:alex@example.com',
                               'CN=Acme Recruiting:mailto:recruiting@acme.example'],
                    uid="anon@acme")
    out = tmp_path / "reminder.txt"
    command = json.dumps([sys.executable, "-c",
                          f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"])
    config_path = local_config(tmp_path, extra=(
        f'quiet_hours = ""\n[[reminders.channels]]\ntype = "command"\ncommand = {command}\n'))
    config_path.write_text(config_path.read_text().replace("channels = []\n", ""))
    assert run_cli("run", "--once", "--config", str(config_path)).returncode == 0
    interview = status(config_path)["interviews"][0]
    assert interview["status"] == "names_needed"

    config = config_module.load(config_path)
    store = Store(tmp_path / "xdg" / "state" / "afterword" / "state.db")
    try:
        now = datetime.now(UTC)
        store.set_account_error("local", "token expired", now, needs_reauth=True)
        assert sending.send_due(config, store, now) == 2
        text = out.read_text()
        assert "ask the receptionist or HR for their names" in text
        assert f"afterword add-interviewer {interview['event_id']}" in text
        assert "run `afterword auth local`" in text
        # Nothing more until `every` has passed; then both again.
        assert sending.send_due(config, store, now + timedelta(hours=1)) == 0
        assert sending.send_due(config, store, now + timedelta(days=1, seconds=1)) == 2
        # Signed in again: no more re-auth reminders; the names one comes a last time at
        # the deadline (the interview ended about 1 h ago; deadline 48 h), never after.
        store.clear_account_error("local")
        assert sending.send_due(config, store, now + timedelta(hours=47, seconds=2)) == 1
        assert sending.send_due(config, store, now + timedelta(days=3)) == 0
    finally:
        store.close()
    result = run_cli("done", interview["event_id"], "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    assert status(config_path)["interviews"][0]["next_reminder_at"] is None


def test_clock_jump_sees_suspend_not_ordinary_time() -> None:
    assert clock_jump(1000.0, 50.0, 1030.0, 80.0) == 0
    # The laptop slept 8 hours: wall time moved, the monotonic clock did not.
    assert clock_jump(1000.0, 50.0, 1000.0 + 8 * 3600 + 30, 80.0) == 8 * 3600


def test_daemon_tells_systemd_ready_watchdog_stopping_and_logs_for_journald(
        tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    config = local_config(tmp_path, extra='[daemon]\npoll_interval = "1s"\n')
    sock_path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(sock_path))
    listener.settimeout(20)
    daemon = Daemon(config, env={"NOTIFY_SOCKET": str(sock_path),
                                 "WATCHDOG_USEC": "2000000", "JOURNAL_STREAM": "8:1234"})
    try:
        seen: list[str] = []
        while not any("WATCHDOG=1" in m for m in seen):
            seen.append(listener.recv(4096).decode())
        assert seen[0].startswith("READY=1")
        assert daemon.stop() == 0
        while not any("STOPPING=1" in m for m in seen):
            seen.append(listener.recv(4096).decode())
    finally:
        daemon.kill()
        listener.close()
    assert daemon.lines, "nothing logged"
    assert all(line.startswith(("<6>", "<7>", "<4>", "<3>")) for line in daemon.lines)
    assert any(line.startswith("<6>") and "ready" in line for line in daemon.lines)


def test_heartbeat_after_a_suspend_brings_every_poll_forward(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:

    (tmp_path / "calendar.ics").write_text(calendar())
    path = local_config(tmp_path, extra='[daemon]\npoll_interval = "1h"\n')
    service = Service(config_module.load(path), path)
    try:
        later = datetime.now(UTC) + timedelta(hours=1)
        service._add_poll_jobs(later)
        # The laptop slept for two hours: the wall clock moved, the monotonic one did not.
        service._wall -= 2 * 3600
        with caplog.at_level(logging.INFO):
            service._heartbeat()
        # The few milliseconds between the two lines above may be counted either way.
        found = re.search(r"wall clock jumped by \+(\d+)s", caplog.text)
        assert found is not None, caplog.text
        assert abs(int(found.group(1)) - 7200) <= 2
        job = service.scheduler.get_job("poll:local")
        assert job is not None and job.next_run_time < later - timedelta(minutes=59)
    finally:
        service.store.close()
