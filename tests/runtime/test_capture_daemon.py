"""The nudges around an interview and `afterword note`, through a real `afterword run`.

Events are placed a few seconds from the real clock and the tests wait for what the user
sees (a webhook POST with its arrival time, a desktop notification, a draft file), with
generous timeouts: no sleep decides an outcome. Polling is hourly where it matters, so
only the daemon's own timers can send a notice on time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import calendar, local_config, run_cli, vevent
from tests.daemon_proc import Daemon
from tests.fakes.bus import dbus_daemon, session_bus
from tests.fakes.webhook import Recorded, webhook_receiver

PANEL = ['CN=Jane Doe;ROLE=REQ-PARTICIPANT:mailto:jane@acme.com',
         'CN=Bob Roe;ROLE=REQ-PARTICIPANT:mailto:bob@acme.com',
         'CN=Alex Rivera;ROLE=REQ-PARTICIPANT:mailto:alex@example.com']
TITLE = "Acme - Senior Data Engineer - Onsite Interview"
BERLIN = ZoneInfo("Europe/Berlin")  # local_config's me.timezone


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons started by a test; always killed afterwards."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def quiet_now() -> str:
    """Quiet hours that cover the next hours: a nudge must come through them anyway."""
    local = now().astimezone(BERLIN)
    return f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=3)):%H:%M}"


def config_with(tmp_path: Path, url: str, extra: str, desktop: bool = False,
                quiet: str | None = None, reminders: str = "") -> Path:
    config = local_config(tmp_path, extra=(
        f'quiet_hours = "{quiet_now() if quiet is None else quiet}"\n{reminders}'
        + ('[[reminders.channels]]\ntype = "desktop"\n' if desktop else "")
        + f'[[reminders.channels]]\ntype = "webhook"\nurl = "{url}"\n' + extra))
    # local_config writes `channels = []` first; drop it so ours count.
    config.write_text(config.read_text().replace("channels = []\n", ""))
    return config


def nudges(hook: Recorded, word: str) -> list[dict[str, Any]]:
    """The POSTs whose title has `word` ("ended", "starts"), with their arrival time."""
    with hook.lock:
        return [{**p["json"], "at": p["at"]} for p in hook.posts
                if word in (p["json"] or {}).get("title", "")]


def drafts_in(folder: Path) -> dict[str, EmailMessage]:
    """Recipient address → the draft, for every message in a Maildir folder."""
    found: dict[str, EmailMessage] = {}
    for sub in ("cur", "new"):
        for path in sorted((folder / sub).glob("*")) if (folder / sub).exists() else []:
            with path.open("rb") as handle:
                message = BytesParser(policy=policy.default).parse(handle)
            assert isinstance(message, EmailMessage)
            found[message["To"].addresses[0].addr_spec] = message
    return found


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_end_nudge_comes_at_the_end_time_once_even_after_a_restart(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    # Drafts at end + 1h and hourly polls: only the nudge's own timer sends it at the end.
    end = now() + timedelta(seconds=8)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel@acme", TITLE, end - timedelta(hours=1), attendees=PANEL)))
    with webhook_receiver() as (url, hook):
        config = config_with(tmp_path, url,
                             '[drafts]\ndelay = "1h"\n[daemon]\npoll_interval = "1h"\n')
        daemon = Daemon(config)
        daemons.append(daemon)
        daemon.wait_log("ready")
        [nudge] = daemon.wait_for(lambda: nudges(hook, "ended"), "the end nudge", timeout=90)
        assert nudge["at"] >= end.timestamp(), "sent before the interview ended"
        assert nudge["title"] == "Afterword: Acme — Senior Data Engineer just ended"
        drafts_at = (end + timedelta(hours=1)).astimezone(BERLIN)
        lines = nudge["message"].splitlines()
        assert lines[0] == ("Who did you meet, and what stood out? "
                            f"Drafts at {drafts_at:%H:%M}.")
        assert 'afterword note last "Jane: what you talked about"' in nudge["message"]
        assert 'afterword add-interviewer last "Name <address>"' in nudge["message"]
        assert nudge["items"][0]["kind"] == "interview_ended"
        assert "jane@acme.com" not in json.dumps(nudge)
        assert not (tmp_path / "Mail" / ".Drafts" / "cur").exists() or not any(
            (tmp_path / "Mail" / ".Drafts" / "cur").iterdir())
        assert daemon.stop() == 0

        # A restart does not send it again. A second interview ending a little later is
        # nudged by the new daemon: by then a repeat of the first would have come.
        later = now() + timedelta(seconds=6)
        (tmp_path / "calendar.ics").write_text(calendar(
            vevent("panel@acme", TITLE, end - timedelta(hours=1), attendees=PANEL),
            vevent("screen@globex", "Globex phone screen", later - timedelta(minutes=30),
                   minutes=30, attendees=['CN=Carol Poe:mailto:carol@globex.com'])))
        again = Daemon(config)
        daemons.append(again)
        again.wait_for(lambda: len(nudges(hook, "ended")) >= 2, "the second end nudge",
                       timeout=90)
        assert again.stop() == 0
        titles = [n["title"] for n in nudges(hook, "ended")]
        assert titles == ["Afterword: Acme — Senior Data Engineer just ended",
                          "Afterword: Globex phone screen just ended"]
    assert "(interview_ended) on 1 of 1 channel(s)" in daemon.log


def test_note_last_reaches_only_janes_draft_and_drafts_wait_for_it(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    ended = now() - timedelta(minutes=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel@acme", TITLE, ended - timedelta(hours=1), attendees=PANEL)))
    drafts_dir = tmp_path / "Mail" / ".Drafts"
    with webhook_receiver() as (url, hook):
        # The drafts wait up to 1 h for notes; they are due (end + 1 s) once a note comes.
        config = config_with(tmp_path, url, '[drafts]\ndelay = "1s"\nwait_for_notes = "1h"\n'
                                             '[daemon]\npoll_interval = "1s"\n')
        daemon = Daemon(config)
        daemons.append(daemon)
        [nudge] = daemon.wait_for(lambda: nudges(hook, "ended"), "the end nudge", timeout=90)
        assert "Drafts as soon as you add a note" in nudge["message"]
        assert drafts_in(drafts_dir) == {}, "drafted before any note came"

        result = run_cli("note", "last", "Jane: the data pipeline migration",
                         "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert "noted for Jane Doe: the data pipeline migration" in result.stdout

        made = daemon.wait_for(lambda: len(drafts_in(drafts_dir)) == 2 and drafts_in(drafts_dir),
                               "two drafts after the note", timeout=90)
        assert daemon.stop() == 0
    assert "the data pipeline migration" in body(made["jane@acme.com"])
    assert "the data pipeline migration" not in body(made["bob@acme.com"])

    # A note added now says the drafts were written without it.
    late = run_cli("note", "last", "how on-call works", "--for", "bob@acme.com",
                   "--config", str(config))
    assert late.returncode == 0, late.stderr
    assert "noted for Bob Roe: how on-call works" in late.stdout
    assert "written before this note (2)" in late.stdout
    assert "`afterword redraft panel@acme`" in late.stdout
    # ...and doing what it says puts the note into Bob's draft, and only his.
    rebuilt = run_cli("redraft", "panel@acme", "--config", str(config))
    assert rebuilt.returncode == 0, rebuilt.stderr
    made = drafts_in(drafts_dir)
    assert "how on-call works" in body(made["bob@acme.com"])
    assert "how on-call works" not in body(made["jane@acme.com"])
    assert "the data pipeline migration" in body(made["jane@acme.com"])


@pytest.mark.skipif(dbus_daemon() is None, reason="dbus-daemon missing (apt-get install dbus)")
def test_a_names_needed_interview_is_nudged_at_its_start_on_the_desktop(
        tmp_path: Path, daemons: list[Daemon]) -> None:
    # Only you and recruiting@: nobody to write to, so names are needed.
    start = now() + timedelta(seconds=8)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("onsite@acme", "Onsite interview with Acme", start,
               attendees=[PANEL[2], 'CN=Acme Recruiting:mailto:recruiting@acme.com'])))
    with session_bus(tmp_path) as bus, webhook_receiver() as (url, hook):
        config = config_with(tmp_path, url, '[daemon]\npoll_interval = "1h"\n', desktop=True)
        daemon = Daemon(config, env={"DBUS_SESSION_BUS_ADDRESS": bus.address})
        daemons.append(daemon)
        [nudge] = daemon.wait_for(lambda: nudges(hook, "starts"), "the start nudge",
                                  timeout=90)
        assert nudge["at"] >= start.timestamp(), "sent before the interview started"
        assert nudge["title"] == "Afterword: Onsite interview with Acme starts now"
        assert "write down every interviewer's name before you leave" in nudge["message"]
        desktop = daemon.wait_for(bus.notifications, "the desktop notification")
        assert desktop[0]["summary"] == nudge["title"]
        assert daemon.stop() == 0
    assert nudges(hook, "ended") == []  # the interview is still on


def test_capture_disabled_sends_no_nudge(tmp_path: Path, daemons: list[Daemon]) -> None:
    ended = now() - timedelta(minutes=1)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel@acme", TITLE, ended - timedelta(hours=1), attendees=PANEL)))
    with webhook_receiver() as (url, hook):
        # Reminders go on (a draft digest, every 2 s), nudges do not: the second digest
        # comes after the moment the nudge would have been sent (1 s after the first pass).
        config = config_with(tmp_path, url, '[capture]\nenabled = false\n'
                                             '[drafts]\ndelay = "1s"\n'
                                             '[daemon]\npoll_interval = "1h"\n', quiet="",
                             reminders='after = "0s"\nevery = "2s"\n')
        daemon = Daemon(config)
        daemons.append(daemon)
        daemon.wait_for(lambda: len(hook.bodies()) >= 2, "two draft digests", timeout=90)
        assert daemon.stop() == 0
    assert {b["title"] for b in hook.bodies()} == {
        "Afterword: 2 thank-you notes are waiting in Drafts"}
