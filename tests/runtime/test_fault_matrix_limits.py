"""More rows of the fault matrix (test_fault_matrix.py): what operating conditions and
strangers' invites do, for Google and Microsoft, with the local account beside them.

- a runaway series (an interview every minute, expanded by the server): nothing drafted
  for it, one warning, listed by status; the real interviews of both accounts drafted;
- an event dated in year 9999 (or ending before it starts): skipped with one warning;
  the other interviews drafted, `status` works;
- a full disk under the state folder: one line naming the folder, no draft twice, and
  once there is room again the next cycle converges.
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon.commands.status import render_table, status_data
from afterword.daemon.errors import StateError
from tests.fakes.microsoft_setup import ME, person
from tests.google_env import interview
from tests.runtime.test_fault_matrix import (
    GoogleRemote,
    GraphRemote,
    Remote,
    due_interviews,
    make_world,
)
from tests.runtime.test_fault_matrix import remote as remote


def google_or_graph(remote: Remote) -> None:
    """These rows seed server-side data through the Google and Graph fakes' own helpers;
    CalDAV reads .ics through the local reader, whose rows are tests/runtime/test_limits.py."""
    if not isinstance(remote, GoogleRemote | GraphRemote):
        pytest.skip("seeded through the Google and Graph fakes only")


def flood(remote: Remote, start: datetime, count: int) -> None:
    """One series with an occurrence every minute, as the server expands it."""
    guests = [("Jane Doe", "jane@acme.com")]
    for n in range(count):
        at = start + timedelta(minutes=n)
        if isinstance(remote, GoogleRemote):
            remote.fake.put_event(interview("Interview", at, guests, id=f"flood_{n:05d}",
                                            recurringEventId="flood"))
        else:
            assert isinstance(remote, GraphRemote)
            remote.graph.add_event(ME, "Interview", at, 1, attendees=[
                person("Jane Doe", "jane@acme.com"), person("Alex Rivera", ME)],
                organizer=guests[0], type="occurrence", seriesMasterId="flood-master")


def test_runaway_series(tmp_path: Path, remote: Remote) -> None:
    google_or_graph(remote)
    world = make_world(tmp_path, remote)
    assert world.run().ok
    due_interviews(world)
    flood(remote, datetime.now(UTC) - timedelta(hours=5), 120)

    report = world.run()
    mine = next(a for a in report.accounts if a.name == remote.name)
    assert mine.errors == []
    assert [w for w in mine.warnings if "repeating event" in w] == [mine.warnings[0]]
    assert "more than 3 occurrences on" in mine.warnings[0]
    # The real interviews of both accounts, and not one note for the flood.
    assert len(remote.drafts()) == 2 and len(world.local_drafts()) == 1
    assert {d.recipient for d in world.store.drafts(remote.name)} == {"jane@acme.com",
                                                                     "bob@acme.com"}
    if isinstance(remote, GraphRemote):
        # Counted as the delta entries came: no occurrence of it was read in full.
        assert remote.graph.batch_log == []
    world.run()  # said once: the next cycle is quiet about it
    again = world.run()
    assert all(a.warnings == [] for a in again.accounts)
    table = render_table(status_data(world.cycle.config, world.store, datetime.now(UTC)),
                         world.cycle.config, datetime.now(UTC))
    assert "Repeating events skipped" in table and "more than 3 occurrences" in table


def far_event(remote: Remote, kind: str) -> None:
    """An interview that began two hours ago and ends in year 9999 (where any delay or
    deadline added overflows), or that ends before it starts."""
    start = datetime.now(UTC) - timedelta(hours=2)
    end = (datetime(9999, 12, 31, 23, 30, tzinfo=UTC) if kind == "year-9999"
           else start - timedelta(hours=1))
    guests = [("Eve Late", "eve@acme.com")]
    if isinstance(remote, GoogleRemote):
        remote.fake.put_event(interview(
            "Interview: far away", start, guests, id=f"far{kind.replace('-', '')}",
            end={"dateTime": end.isoformat().replace("+00:00", "Z")}))
    else:
        assert isinstance(remote, GraphRemote)
        minutes = int((end - start).total_seconds() // 60)
        remote.graph.add_event(ME, "Interview: far away", start, minutes, attendees=[
            person("Eve Late", "eve@acme.com"), person("Alex Rivera", ME)],
            organizer=guests[0])


@pytest.mark.parametrize("kind", ["year-9999", "end-before-start"])
def test_dates_out_of_range(tmp_path: Path, remote: Remote, kind: str,
                            caplog: pytest.LogCaptureFixture) -> None:
    google_or_graph(remote)
    world = make_world(tmp_path, remote)
    assert world.run().ok
    due_interviews(world)
    far_event(remote, kind)
    with caplog.at_level(logging.WARNING):
        report = world.run()
    said = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()
            or "skipped" in r.getMessage()]
    assert len(said) == 1, said
    expected = "its dates are out of range" if kind == "year-9999" else "ends before it starts"
    assert expected in said[0]
    assert report.ok, report
    mine = next(a for a in report.accounts if a.name == remote.name)
    assert len(mine.drafted) == 2 and len(world.local_drafts()) == 1
    assert "eve@acme.com" not in {d.recipient for d in world.store.drafts()}
    now = datetime.now(UTC)
    render_table(status_data(world.cycle.config, world.store, now), world.cycle.config, now)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs for the state (root only: mount is the honest full disk)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk(tmp_path: Path, remote: Remote, small_disk: Path) -> None:
    world = make_world(tmp_path, remote, state=small_disk / "state.db")
    assert world.run().ok
    due_interviews(world)
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill every byte the tmpfs has left
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)
    with pytest.raises(StateError) as raised:
        world.run()
    line = str(raised.value)
    assert line.startswith(f"state folder {small_disk}: the disk is full"), line
    assert "\n" not in line
    filler.unlink()  # room again: the next cycles converge, nothing twice
    world.run()
    assert world.run().ok
    assert len(remote.drafts()) == 2 and len(world.local_drafts()) == 1


def test_never_signed_in(tmp_path: Path, remote: Remote) -> None:
    """An account never signed in: no request at all, *needs sign-in*, others drafted."""
    google_or_graph(remote)
    remote.sign_in = lambda: None  # type: ignore[method-assign]  # the user never ran auth
    world = make_world(tmp_path, remote)
    due_interviews(world)
    report = world.run()
    mine = next(a for a in report.accounts if a.name == remote.name)
    assert mine.needs_reauth and len(mine.errors) == 1, mine.errors
    assert f"run `afterword auth {remote.name}`" in mine.errors[0]
    assert len(world.local_drafts()) == 1
    if isinstance(remote, GoogleRemote):
        assert remote.fake.calls() == []
    else:
        assert isinstance(remote, GraphRemote)
        assert remote.authority.log == [] and remote.graph.log == []
    now = datetime.now(UTC)
    table = render_table(status_data(world.cycle.config, world.store, now),
                         world.cycle.config, now)
    assert f"! account {remote.name} needs to sign in again" in table
