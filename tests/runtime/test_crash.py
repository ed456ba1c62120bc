"""kill -9 while drafting: afterwards exactly one draft per key.

Three kinds of process are killed, seeded, while they write drafts for a calendar with
many due interviews. Each kill is aimed by observed progress, not by a clock: once the
N-th draft is in the mailbox, the N-th draft row committed in the state, or (Google) the
N-th drafts.create received by the fake, so the kills land mid-drafting however loaded
the machine is:

- `afterword run --once` on the local provider (Maildir), most of the kills;
- the real daemon, `afterword run`, on the local provider;
- `afterword run --once` against the fake Google (Gmail drafts over HTTP), so exactly-once
  is proven for a remote mailbox too: a kill can land after Gmail stored a draft and
  before the state recorded it, and the next run must find that draft, not write another.

The next round restarts the process on the same state. At the end every key exists
exactly once in the mailbox and once in the state, none missing. The kills total
AFTERWORD_CRASH_KILLS (default 200): 60% `--once`, 25% daemon, 15% Google.
"""

from __future__ import annotations

import email
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon.runtime.secrets import FileSecrets
from tests.conftest import AFTERWORD, calendar, local_config, run_cli, vevent
from tests.fakes.google import FakeGoogle
from tests.google_env import DEFAULT_SCOPES, google, interview

__all__ = ["google"]
INTERVIEWS = 60
GOOGLE_INTERVIEWS = 30
KILLS = int(os.environ.get("AFTERWORD_CRASH_KILLS", "200"))
ONCE_KILLS = KILLS * 60 // 100
DAEMON_KILLS = KILLS * 25 // 100
GOOGLE_KILLS = KILLS - ONCE_KILLS - DAEMON_KILLS


def many_interviews(now: datetime) -> str:
    events = []
    for n in range(INTERVIEWS):
        start = now - timedelta(hours=3, minutes=n)
        events.append(vevent(f"iv-{n}", f"Interview {n} at Acme", start, attendees=[
            f"CN=Person A{n};PARTSTAT=ACCEPTED:mailto:a{n}@acme.example",
            f"CN=Person B{n};PARTSTAT=ACCEPTED:mailto:b{n}@acme.example",
        ]))
    return calendar(*events)


def keys_in_maildir(folder: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for sub in ("cur", "new"):
        directory = folder / sub
        if directory.is_dir():
            for path in directory.iterdir():
                keys[email.message_from_bytes(path.read_bytes())["X-Afterword-Key"]] += 1
    return keys


@dataclass
class Target:
    """A process to kill and the mailbox it drafts into."""

    command: list[str]
    env: dict[str, str]
    expected: int  # drafts when everything is done
    keys: Callable[[], Counter[str]]  # key → drafts in the mailbox
    clear_mailbox: Callable[[], None]
    count: Callable[[], int]  # drafts in the mailbox (cheap: watched every few ms)
    daemon: bool = False  # runs on after drafting: "done" is every draft in the mailbox
    # Other progress to aim at: name → a counter that grows while the process drafts.
    marks: dict[str, Callable[[], int]] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"]) / "afterword" / "state.db"

    def rows(self) -> list[tuple[str, str]]:
        db = sqlite3.connect(self.db)
        try:
            return db.execute("SELECT key, state FROM drafts").fetchall()
        finally:
            db.close()

    def planned(self) -> int:
        """Draft rows in the state: each is committed just before its provider call."""
        if not self.db.exists():
            return 0
        db = sqlite3.connect(f"{self.db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT count(*) FROM drafts").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # not created yet
        finally:
            db.close()

    def finished(self, proc: subprocess.Popen[bytes]) -> bool:
        if proc.poll() is not None:
            return True
        return self.daemon and self.count() >= self.expected

    def check_exactly_once(self) -> None:
        in_mailbox = self.keys()
        rows = self.rows()
        assert len(rows) == self.expected
        assert {state for _, state in rows} == {"drafted"}
        assert {k: n for k, n in in_mailbox.items() if n > 1} == {}
        assert set(in_mailbox) == {key for key, _ in rows}

    def settle(self) -> None:
        """One uninterrupted `run --once` on the state as the last kill left it."""
        once = self.command + ([] if "--once" in self.command else ["--once"])
        done = subprocess.run(once, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    def start_over(self) -> None:
        """Everything was drafted before we struck: a fresh world for the next rounds."""
        self.check_exactly_once()
        self.clear_mailbox()
        db = sqlite3.connect(self.db)
        db.execute("DELETE FROM drafts")
        db.execute("UPDATE interviews SET drafted = 0")
        db.commit()
        db.close()


def kill_rounds(target: Target, kills: int, seed: int) -> int:
    """Start, kill -9 once the process has made some chosen progress, repeat; returns the
    rounds that struck mid-drafting.

    Each round picks a mark (a draft in the mailbox, a draft row committed in the state,
    or one the target adds, such as a request the fake received) and a count of it still
    to come in this run, and kills as soon as it is seen: aimed by what the process did,
    never by a clock, so a loaded machine only makes the aim sharper.
    """
    rng = random.Random(seed)
    marks = {"drafts": target.count, "planned": target.planned, **target.marks}
    done = mid_drafting = 0
    while done < kills:
        before = target.count()
        left = target.expected - before
        if left <= 0:
            # The last round was killed after its last draft reached the mailbox (maybe
            # before the state recorded it): one run settles that, then a fresh world.
            target.settle()
            target.start_over()
            continue
        name = rng.choice(sorted(marks))
        watch = marks[name]
        aim = watch() + rng.randint(1, max(1, left - 1))
        proc = subprocess.Popen(target.command, env=target.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while watch() < aim and not target.finished(proc):
            time.sleep(0.002)
        if target.finished(proc):
            # It finished before the mark was seen (e.g. the drafts outran the watcher).
            stop(proc)
            target.start_over()
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done += 1
        if before < target.count() < target.expected:
            mid_drafting += 1
    return mid_drafting


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the daemon finishes the interview in hand) and wait."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def finish_and_check(target: Target, config: Path) -> None:
    """One last uninterrupted run: every draft exactly once, none missing."""
    result = run_cli("run", "--once", "--config", str(config), env=target.env)
    assert result.returncode == 0, result.stderr
    target.check_exactly_once()


def files_in(folder: Path) -> int:
    """Messages in a Maildir folder (counted, not read)."""
    return sum(len(os.listdir(folder / sub)) for sub in ("cur", "new")
               if (folder / sub).is_dir())


def clear_maildir(folder: Path) -> Callable[[], None]:
    def clear() -> None:
        for sub in ("cur", "new", "tmp"):
            for path in (folder / sub).glob("*"):
                path.unlink()
    return clear


def local_target(tmp_path: Path, daemon: bool) -> tuple[Target, Path]:
    (tmp_path / "calendar.ics").write_text(many_interviews(datetime.now(UTC)))
    # More notes than drafts.max_per_day allows by default: this is about kills.
    config = local_config(tmp_path, extra="[drafts]\nmax_per_day = 1000\n")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "XDG_STATE_HOME": str(tmp_path / "state")}
    drafts = tmp_path / "Mail" / ".Drafts"
    command = [AFTERWORD, "run", "--config", str(config)] + ([] if daemon else ["--once"])
    return Target(command, env, INTERVIEWS * 2, lambda: keys_in_maildir(drafts),
                  clear_maildir(drafts), lambda: files_in(drafts), daemon=daemon), config


def test_kill_9_run_once_while_drafting(tmp_path: Path) -> None:
    target, config = local_target(tmp_path, daemon=False)
    mid = kill_rounds(target, ONCE_KILLS, seed=20261126)
    finish_and_check(target, config)
    # No half-written draft is visible: a kill during a write can only orphan a file in
    # tmp/, which Maildir readers ignore (and Maildir.clean() removes after 36 hours).
    for sub in ("cur", "new"):
        for path in (tmp_path / "Mail" / ".Drafts" / sub).iterdir():
            assert path.read_bytes().rstrip().endswith(b"Alex")  # the signature: complete
    # The kills did land while drafts were being written, not only during start-up.
    assert mid >= max(1, ONCE_KILLS // 3), (mid, ONCE_KILLS)


def test_kill_9_the_daemon_while_drafting(tmp_path: Path) -> None:
    target, config = local_target(tmp_path, daemon=True)
    mid = kill_rounds(target, DAEMON_KILLS, seed=20261127)
    finish_and_check(target, config)
    assert mid >= max(1, DAEMON_KILLS // 3), (mid, DAEMON_KILLS)


def test_kill_9_while_drafting_into_gmail(tmp_path: Path, google: FakeGoogle) -> None:
    now = datetime.now(UTC)
    for n in range(GOOGLE_INTERVIEWS):
        google.put_event(interview(f"Interview {n}: Acme", now - timedelta(hours=3, minutes=n),
                                   [(f"Person A{n}", f"a{n}@acme.com"),
                                    (f"Person B{n}", f"b{n}@acme.com")]))
    state = tmp_path / "state"
    FileSecrets(state / "afterword" / "credentials.json").set(
        "personal", json.dumps(google.credentials(DEFAULT_SCOPES)))
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nendpoint = "{google.url}"\n\n'
        '[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n\n'
        '[drafts]\nmax_per_day = 1000\n')
    env = {**os.environ, "XDG_STATE_HOME": str(state)}

    def keys() -> Counter[str]:
        return Counter(str(m["X-Afterword-Key"]) for m in google.drafts().values())

    def clear() -> None:
        for draft_id in list(google.mailbox.drafts):
            google.user_delete_draft(draft_id)

    def stored() -> int:
        with google.lock:
            return len(google.mailbox.drafts)

    # A drafts.create received is the sharpest aim: killed there, Gmail may have stored
    # the draft while the state never heard of it.
    target = Target([AFTERWORD, "run", "--once", "--config", str(config)], env,
                    GOOGLE_INTERVIEWS * 2, keys, clear, stored,
                    marks={"creates": lambda: len(google.calls("POST", "/drafts$"))})
    mid = kill_rounds(target, GOOGLE_KILLS, seed=20261128)
    finish_and_check(target, config)
    assert mid >= max(1, GOOGLE_KILLS // 3), (mid, GOOGLE_KILLS)
