"""The daemon as users run it: a real `afterword run` subprocess, short intervals, the
local provider, reminders on a private D-Bus bus and a loopback webhook."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.conftest import calendar, local_config, run_cli, vevent
from tests.daemon_proc import Daemon
from tests.fakes.bus import dbus_daemon, session_bus
from tests.fakes.webhook import webhook_receiver

PANEL = ['CN=Jane Doe;ROLE=REQ-PARTICIPANT:mailto:jane@acme.com',
         'CN=Bob Roe;ROLE=REQ-PARTICIPANT:mailto:bob@acme.com',
         'CN=Alex Rivera;ROLE=REQ-PARTICIPANT:mailto:alex@example.com']


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def drafts_in(folder: Path) -> dict[str, Path]:
    """X-Afterword-Key → file, for every message in a Maildir folder's cur/ and new/."""
    found: dict[str, Path] = {}
    for sub in ("cur", "new"):
        for path in sorted((folder / sub).glob("*")) if (folder / sub).exists() else []:
            with path.open("rb") as handle:
                key = BytesParser().parse(handle, headersonly=True)["X-Afterword-Key"]
            assert key not in found, f"key {key} is in the Maildir twice"
            found[key] = path
    return found


def status(config: Path) -> dict:
    result = run_cli("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons started by a test; always killed afterwards."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


needs_bus = pytest.mark.skipif(dbus_daemon() is None,
                               reason="dbus-daemon missing (apt-get install dbus)")


@needs_bus
def test_drafts_appear_at_end_plus_delay_and_reminders_reach_desktop_and_webhook(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    # The interview ends in a few seconds; polling is hourly, so only the job at
    # end + delay can make the drafts on time.
    end = now() + timedelta(seconds=4)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel@acme", "Interview with Acme", end - timedelta(hours=1), attendees=PANEL)))
    with session_bus(tmp_path) as bus, webhook_receiver() as (url, hook):
        config = local_config(tmp_path, extra=(
            'after = "1s"\nevery = "1h"\nquiet_hours = ""\n'
            '[[reminders.channels]]\ntype = "desktop"\n'
            f'[[reminders.channels]]\ntype = "webhook"\nurl = "{url}"\n'
            '[drafts]\ndelay = "2s"\n[daemon]\npoll_interval = "1h"\n'))
        # local_config writes `channels = []` first; drop it so ours count.
        config.write_text(config.read_text().replace("channels = []\n", ""))
        daemon = Daemon(config, env={"DBUS_SESSION_BUS_ADDRESS": bus.address})
        daemons.append(daemon)
        daemon.wait_log("ready")
        drafts_dir = tmp_path / "Mail" / ".Drafts"
        if now() < end:  # (a loaded machine may start the daemon later than that)
            assert drafts_in(drafts_dir) == {}  # not before the interview is over
        made = daemon.wait_for(lambda: len(drafts_in(drafts_dir)) == 2 and drafts_in(drafts_dir),
                               "two drafts")
        due = end + timedelta(seconds=2)
        for path in made.values():
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            assert written >= due - timedelta(seconds=1), "drafted before end + delay"
            assert written < due + timedelta(seconds=30), "not drafted on time"
        to = {BytesParser().parse(p.open("rb"), headersonly=True)["To"] for p in made.values()}
        assert to == {"Jane Doe <jane@acme.com>", "Bob Roe <bob@acme.com>"}

        # The nudge at the interview's end, then one digest for the two drafts, on both
        # channels.
        notes = daemon.wait_for(lambda: len(bus.notifications()) >= 2 and bus.notifications(),
                                "two desktop notifications")
        digest = "Afterword: 2 thank-you notes are waiting in Drafts"
        assert sorted(n["summary"] for n in notes) == [
            digest, "Afterword: Interview with Acme just ended"]
        [reminder] = [n for n in notes if n["summary"] == digest]
        assert "Jane Doe" in reminder["body"] and "Bob Roe" in reminder["body"]
        posts = daemon.wait_for(lambda: len(hook.bodies()) >= 2 and hook.bodies(),
                                "two webhook POSTs")
        assert sorted(p["title"] for p in posts) == sorted(n["summary"] for n in notes)
        [post] = [p for p in posts if p["title"] == digest]
        assert sorted(i["key"] for i in post["items"]) == sorted(made)
        assert daemon.stop() == 0
    log = daemon.log
    assert "jane@acme.com" not in log and "bob@acme.com" not in log
    state = status(config)
    assert {d["state"] for d in state["drafts"]} == {"drafted"}
    assert all(d["next_reminder_at"] for d in state["drafts"])


@needs_bus
def test_reminders_stop_when_the_draft_is_sent_or_marked_done(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    ended = now() - timedelta(hours=1)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview with Acme", ended - timedelta(hours=1),
               attendees=PANEL[:1] + PANEL[2:]),
        vevent("two@globex", "Phone screen with Globex", ended - timedelta(minutes=30),
               minutes=30, attendees=['CN=Carol Poe:mailto:carol@globex.com'])))
    with session_bus(tmp_path) as bus:
        config = local_config(tmp_path, extra=(
            'after = "1s"\nevery = "2s"\nquiet_hours = ""\n'
            '[[reminders.channels]]\ntype = "desktop"\n'
            '[capture]\nenabled = false\n'  # reminders only (test_capture_daemon: nudges)
            '[drafts]\ndelay = "1s"\n[daemon]\npoll_interval = "1s"\n'))
        config.write_text(config.read_text().replace("channels = []\n", ""))
        daemon = Daemon(config, env={"DBUS_SESSION_BUS_ADDRESS": bus.address})
        daemons.append(daemon)
        drafts_dir = tmp_path / "Mail" / ".Drafts"
        made = daemon.wait_for(lambda: len(drafts_in(drafts_dir)) == 2 and drafts_in(drafts_dir),
                               "two drafts")
        daemon.wait_for(lambda: len(bus.notifications()) >= 2, "repeated reminders")
        keys = {d["recipient"]: d["key"] for d in status(config)["drafts"]}

        # The user sends Jane's note: the mail client moves it from Drafts to Sent.
        sent_dir = tmp_path / "Mail" / ".Sent" / "cur"
        sent_dir.mkdir(parents=True, exist_ok=True)
        jane = made[keys["jane@acme.com"]]
        jane.rename(sent_dir / jane.name)
        # ... and says `done` about Carol's.
        result = run_cli("done", keys["carol@globex.com"], "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert "no more reminders" in result.stdout

        daemon.wait_for(lambda: {d["recipient"]: d["state"] for d in status(config)["drafts"]}
                        == {"jane@acme.com": "sent", "carol@globex.com": "dismissed"},
                        "the states to change")
        count = len(bus.notifications())
        # With every = 2s, reminders would keep coming every 2 s; none may.
        time.sleep(6)
        assert len(bus.notifications()) == count
        assert daemon.proc.poll() is None
        assert daemon.stop() == 0
    assert "is now sent" in daemon.log


def test_sigterm_mid_cycle_leaves_consistent_state(tmp_path: Path,
                                                   daemons: list[Daemon]) -> None:
    start = now() - timedelta(hours=3)
    events = [vevent(f"ev{i}@acme", f"Interview {i} with Acme", start + timedelta(minutes=i),
                     attendees=[f'CN=Person {i};ROLE=REQ-PARTICIPANT:mailto:p{i}@acme.com',
                                PANEL[2]])
              for i in range(40)]
    (tmp_path / "calendar.ics").write_text(calendar(*events))
    config = local_config(tmp_path, extra='[drafts]\ndelay = "1s"\nmax_per_day = 1000\n'
                                          '[daemon]\npoll_interval = "1s"\n')
    drafts_dir = tmp_path / "Mail" / ".Drafts"
    daemon = Daemon(config)
    daemons.append(daemon)
    daemon.wait_for(lambda: drafts_in(drafts_dir), "the first draft", timeout=60)
    assert daemon.stop() == 0
    assert "stopped" in daemon.log
    after_stop = drafts_in(drafts_dir)
    records = status(config)["drafts"]
    # Every draft the state calls drafted is in the Maildir; nothing half-done.
    assert {d["key"] for d in records if d["state"] == "drafted"} == set(after_stop)
    assert {d["state"] for d in records} <= {"drafted", "planned"}

    # A restart finishes the job: each key exactly once, nothing planned-but-missing.
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    final = drafts_in(drafts_dir)
    records = status(config)["drafts"]
    assert len(final) == 40
    assert {d["key"] for d in records} == set(final)
    assert {d["state"] for d in records} == {"drafted"}


def test_sighup_reload_keeps_old_config_when_broken_and_applies_a_good_one(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    config = local_config(tmp_path, extra='[drafts]\ndelay = "1s"\n[daemon]\n'
                                          'poll_interval = "1s"\n')
    good = config.read_text()
    daemon = Daemon(config)
    daemons.append(daemon)
    daemon.wait_log("ready")

    config.write_text(good.replace('poll_interval = "1s"', 'poll_interval = "soon"'))
    daemon.signal(signal.SIGHUP)
    line = daemon.wait_log("config reload failed")
    assert "keeping the old config" in line and "daemon.poll_interval" in line

    # The old config still works: a new interview is drafted.
    ended = now() - timedelta(minutes=10)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("late@acme", "Interview with Acme", ended - timedelta(hours=1),
               attendees=PANEL[:1])))
    drafts_dir = tmp_path / "Mail" / ".Drafts"
    daemon.wait_for(lambda: len(drafts_in(drafts_dir)) == 1, "a draft with the old config")

    # A good new config (a second account) is applied: its drafts appear too.
    second = tmp_path / "second"
    second.mkdir()
    (second / "calendar.ics").write_text(calendar(
        vevent("other@globex", "Interview with Globex", ended - timedelta(hours=1),
               attendees=['CN=Carol Poe:mailto:carol@globex.com'])))
    config.write_text(good + (
        f'\n[[accounts]]\nname = "second"\nprovider = "local"\n'
        f'calendar = "{second / "calendar.ics"}"\nmaildir = "{second / "Mail"}"\n'))
    daemon.signal(signal.SIGHUP)
    daemon.wait_log("config reloaded: 2 account(s)")
    daemon.wait_for(lambda: len(drafts_in(second / "Mail" / ".Drafts")) == 1,
                    "a draft for the new account")
    assert daemon.stop() == 0


def test_failing_webhook_is_logged_and_retried_at_the_next_reminder(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    ended = now() - timedelta(hours=1)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview with Acme", ended - timedelta(hours=1),
               attendees=PANEL[:1])))
    with webhook_receiver() as (url, hook):
        hook.status = 500
        config = local_config(tmp_path, extra=(
            'after = "1s"\nevery = "2s"\nquiet_hours = ""\n'
            f'[[reminders.channels]]\ntype = "webhook"\nurl = "{url}"\n'
            '[capture]\nenabled = false\n'  # the reminders' retry, not a nudge's
            '[drafts]\ndelay = "1s"\n[daemon]\npoll_interval = "1s"\n'))
        config.write_text(config.read_text().replace("channels = []\n", ""))
        daemon = Daemon(config)
        daemons.append(daemon)
        daemon.wait_log("webhook answered HTTP 500")
        hook.status = 200
        # Retried at the next reminder; the daemon never stopped.
        daemon.wait_for(lambda: len(hook.posts) >= 2, "the next reminder")
        assert daemon.proc.poll() is None
        assert daemon.stop() == 0
    assert url not in daemon.log


def test_one_failing_account_does_not_stop_the_others(tmp_path: Path,
                                                       daemons: list[Daemon]) -> None:
    ended = now() - timedelta(minutes=30)
    good = tmp_path / "good"
    good.mkdir()
    (good / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview with Acme", ended - timedelta(hours=1),
               attendees=PANEL[:1])))
    (tmp_path / "broken.ics").write_text("BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n")
    accounts = (
        f'[[accounts]]\nname = "broken"\nprovider = "local"\n'
        f'calendar = "{tmp_path / "broken.ics"}"\nmaildir = "{tmp_path / "BrokenMail"}"\n\n'
        f'[[accounts]]\nname = "good"\nprovider = "local"\n'
        f'calendar = "{good / "calendar.ics"}"\nmaildir = "{good / "Mail"}"\n')
    config = local_config(tmp_path, accounts=accounts,
                          extra='[drafts]\ndelay = "1s"\n[daemon]\npoll_interval = "1s"\n')
    daemon = Daemon(config)
    daemons.append(daemon)
    daemon.wait_for(lambda: len(drafts_in(good / "Mail" / ".Drafts")) == 1,
                    "the good account's draft")
    line = daemon.wait_log("account broken:")
    assert "broken.ics" in line
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0
    accounts_state = {a["name"]: a for a in status(config)["accounts"]}
    assert accounts_state["broken"]["last_error"]
    assert accounts_state["good"]["last_error"] is None


def test_sigint_stops_cleanly(tmp_path: Path, daemons: list[Daemon]) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    daemon = Daemon(local_config(tmp_path))
    daemons.append(daemon)
    daemon.wait_log("ready")
    daemon.signal(signal.SIGINT)
    assert daemon.proc.wait(timeout=30) == 0
    assert "stopping on SIGINT" in daemon.log
