"""One Afterword per state folder: a real daemon, and second processes beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import calendar, local_config, run_cli, vevent
from tests.daemon_proc import Daemon
from tests.runtime.test_daemon import PANEL, drafts_in


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons started by a test; always killed afterwards."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def test_a_second_run_beside_the_daemon_is_refused_and_drafts_nothing_twice(
        tmp_path: Path, xdg: dict[str, Path], daemons: list[Daemon]) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel@acme", "Interview with Acme", start, attendees=PANEL)))
    config = local_config(tmp_path, extra='[daemon]\npoll_interval = "1h"\n')
    daemon = Daemon(config)
    daemons.append(daemon)
    daemon.wait_log("ready")
    drafts = tmp_path / "Mail" / ".Drafts"
    daemon.wait_for(lambda: len(drafts_in(drafts)) == 2, "the panel's two drafts")
    state = xdg["state"] / "afterword"

    for argv in (["run", "--once"], ["run"], ["auth", "local"], ["redraft", "panel@acme"]):
        second = run_cli(*argv, "--config", str(config))
        assert second.returncode == 1, (argv, second)
        assert second.stderr.startswith(
            f"afterword: another afterword (pid {daemon.proc.pid}) is using {state}"), second
        assert "internal error" not in second.stderr and second.stderr.count("\n") == 1
    # What the user reads or tells the daemon still works beside it.
    shown = run_cli("status", "--json", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    keys = [d["key"] for d in json.loads(shown.stdout)["drafts"]]
    assert len(keys) == 2
    for argv in (["explain", "panel@acme"], ["preview", "panel@acme"], ["check"],
                 ["snooze", keys[0], "4h"], ["done", keys[1]]):
        beside = run_cli(*argv, "--config", str(config))
        assert beside.returncode == 0, (argv, beside.stderr)
    assert len(drafts_in(drafts)) == 2  # nothing drafted twice

    # The lock dies with its holder: once the daemon is gone, a run works again.
    assert daemon.stop() == 0
    again = run_cli("run", "--once", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert "0 draft(s) written" in again.stdout
    assert len(drafts_in(drafts)) == 2


def test_a_second_daemon_exits_1_and_the_first_keeps_running(
        tmp_path: Path, xdg: dict[str, Path], daemons: list[Daemon]) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    config = local_config(tmp_path, extra='[daemon]\npoll_interval = "1h"\n')
    first = Daemon(config)
    daemons.append(first)
    first.wait_log("ready")
    second = Daemon(config)
    daemons.append(second)
    assert second.proc.wait(timeout=60) == 1
    second.stop()
    assert f"another afterword (pid {first.proc.pid}) is using" in second.log
    assert first.proc.poll() is None
    assert first.stop() == 0
