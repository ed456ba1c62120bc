"""Never quiet, never misleading: late reminders, the shown next reminder, private drafts,
and a state folder that cannot be written, as the user sees them."""

from __future__ import annotations

import os
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon.commands.status import status_data
from afterword.daemon.config import parse
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.secrets import KeyringSecrets
from afterword.daemon.runtime.store import Store
from tests.conftest import calendar, local_config, run_cli, vevent
from tests.runtime.test_daemon import drafts_in

JANE = ["CN=Jane Doe:mailto:jane@acme.com"]


def test_status_never_shows_a_next_reminder_in_the_past(tmp_path: Path) -> None:
    drafted_at = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
    (tmp_path / "calendar.ics").write_text(calendar(vevent(
        "one@acme", "Interview with Acme", drafted_at - timedelta(hours=2), attendees=JANE)))
    path = local_config(tmp_path, extra='after = "1h"\nquiet_hours = "21:00-08:00"\n'
                        '[[reminders.channels]]\ntype = "desktop"\n')
    path.write_text(path.read_text().replace("channels = []\n", ""))
    config = parse(tomllib.loads(path.read_text()), base_dir=tmp_path)
    store = Store(tmp_path / "state.db")
    assert len(Cycle(config, store, KeyringSecrets(), lambda: drafted_at).run()
               .accounts[0].drafted) == 1
    # Nobody sent the reminder due at 15:00 (no daemon ran): it goes at once, not "15:00".
    for now, shown in ((drafted_at + timedelta(minutes=30), drafted_at + timedelta(hours=1)),
                       (drafted_at + timedelta(hours=3), drafted_at + timedelta(hours=3)),
                       # In quiet hours (22:00 Berlin): when they end, 08:00.
                       (drafted_at + timedelta(hours=8),
                        datetime(2026, 12, 2, 7, 0, tzinfo=UTC))):
        draft = status_data(config, store, now)["drafts"][0]
        assert datetime.fromisoformat(draft["next_reminder_at"]) == shown, now


def test_maildir_drafts_are_private_whatever_the_umask(tmp_path: Path) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview with Acme", start, attendees=JANE)))
    old = os.umask(0o022)  # a hand-typed `run --once` in an ordinary shell
    try:
        result = run_cli("run", "--once", "--config", str(local_config(tmp_path)))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    (note,) = drafts_in(tmp_path / "Mail" / ".Drafts").values()
    assert stat.S_IMODE(note.stat().st_mode) == 0o600


@pytest.fixture
def read_only_state(xdg: dict[str, Path]) -> Iterator[Path]:
    """The state folder on a read-only mount (root only)."""
    folder = xdg["state"] / "afterword"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_state_folder_is_one_line_naming_it(tmp_path: Path,
                                                        read_only_state: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    config = local_config(tmp_path)
    for argv in (["run", "--once"], ["status"], ["done", "abcdef"]):
        result = run_cli(*argv, "--config", str(config))
        assert result.returncode == 1, (argv, result)
        assert result.stderr.startswith(f"afterword: state folder {read_only_state}: "
                                        "read-only"), (argv, result.stderr)
        assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: the mount test covers it")
def test_an_unwritable_state_folder_is_one_line_naming_it(tmp_path: Path,
                                                          xdg: dict[str, Path]) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    xdg["state"].chmod(0o500)
    try:
        result = run_cli("run", "--once", "--config", str(local_config(tmp_path)))
    finally:
        xdg["state"].chmod(0o700)
    assert result.returncode == 1
    assert result.stderr.startswith(f"afterword: state folder {xdg['state'] / 'afterword'}: "
                                    "permission denied"), result.stderr


def test_an_interview_stored_with_a_year_9999_end_never_breaks_status_or_reminders(
        tmp_path: Path) -> None:
    # As an older Afterword could store it: names needed, ending in year 9999.
    from afterword.daemon.commands.status import render_table
    from afterword.daemon.model import CalendarEvent, Interview, InterviewStatus
    from afterword.daemon.reminders import sending

    (tmp_path / "calendar.ics").write_text(calendar())
    path = local_config(tmp_path, extra='[[reminders.channels]]\ntype = "desktop"\n')
    path.write_text(path.read_text().replace("channels = []\n", ""))
    config = parse(tomllib.loads(path.read_text()), base_dir=tmp_path)
    store = Store(tmp_path / "state.db")
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=2), datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    event = CalendarEvent(account="local", calendar="c", id="far@acme",
                          title="Interview: far", start=start, end=end)
    store.save_interview(Interview("local", "far@acme", "Interview: far", start, end, (),
                                   status=InterviewStatus.NAMES_NEEDED), event, now)
    table = render_table(status_data(config, store, now), config, now)
    assert "Interview: far" in table
    sending.next_due(config, store, now)
    # The next cycle drops it (no interview has such dates) and says nothing alarming.
    report = Cycle(config, store, KeyringSecrets(), lambda: now).run()
    assert report.ok
    assert "Interview: far" not in render_table(status_data(config, store, now), config, now)
