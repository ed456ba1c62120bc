"""kill -9 at random moments while drafting: afterwards exactly one draft per key.

Each round starts `afterword run --once` on a calendar with many due interviews and kills
it after a seeded random delay; the next round restarts it. At the end every key exists
exactly once in the Maildir and once in the state, none missing.
"""

from __future__ import annotations

import email
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import AFTERWORD, calendar, local_config, run_cli, vevent

INTERVIEWS = 60
KILLS = int(os.environ.get("AFTERWORD_CRASH_KILLS", "200"))


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


def test_kill_9_while_drafting_never_duplicates_or_loses_a_draft(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    (tmp_path / "calendar.ics").write_text(many_interviews(datetime.now(UTC)))
    config = local_config(tmp_path)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    # Calibrate: how long a full, uninterrupted cycle takes on this machine.
    probe = tmp_path / "probe"
    probe.mkdir()
    probe_config = local_config(probe, calendar_path=tmp_path / "calendar.ics")
    started = time.monotonic()
    subprocess.run([AFTERWORD, "run", "--once", "--config", str(probe_config)], env={
        **env, "XDG_STATE_HOME": str(probe / "state")}, check=True, capture_output=True)
    full_cycle = time.monotonic() - started

    kills = mid_drafting = 0
    drafts = tmp_path / "Mail" / ".Drafts"
    while kills < KILLS:
        before = sum(keys_in_maildir(drafts).values())
        proc = subprocess.Popen([AFTERWORD, "run", "--once", "--config", str(config)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Most of a run is start-up; aim the kills at the part where drafts are written.
        time.sleep(rng.uniform(0.4, 1.0) * full_cycle)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        after = sum(keys_in_maildir(drafts).values())
        if proc.returncode == -signal.SIGKILL and before < after < INTERVIEWS * 2:
            mid_drafting += 1
        if proc.returncode == 0 and kills < KILLS:
            # Everything was drafted before we struck: start over with a fresh world.
            check_exactly_once(tmp_path)
            for sub in ("cur", "new", "tmp"):
                for path in (tmp_path / "Mail" / ".Drafts" / sub).glob("*"):
                    path.unlink()
            db = sqlite3.connect(Path(env["XDG_STATE_HOME"]) / "afterword" / "state.db")
            db.execute("DELETE FROM drafts")
            db.execute("UPDATE interviews SET drafted = 0")
            db.commit()
            db.close()
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    check_exactly_once(tmp_path)
    # The kills did land while drafts were being written, not only during start-up.
    assert mid_drafting >= KILLS // 4, (mid_drafting, KILLS)


def check_exactly_once(tmp_path: Path) -> None:
    in_mailbox = keys_in_maildir(tmp_path / "Mail" / ".Drafts")
    db = sqlite3.connect(Path(os.environ["XDG_STATE_HOME"]) / "afterword" / "state.db")
    rows = db.execute("SELECT key, state, provider_id FROM drafts").fetchall()
    db.close()
    assert len(rows) == INTERVIEWS * 2
    assert {state for _, state, _ in rows} == {"drafted"}
    duplicates = {k: n for k, n in in_mailbox.items() if n > 1}
    assert duplicates == {}
    assert set(in_mailbox) == {key for key, _, _ in rows}
    # No half-written draft is visible: a kill during a write can only orphan a file in
    # tmp/, which Maildir readers ignore (and Maildir.clean() removes after 36 hours).
    for sub in ("cur", "new"):
        for path in (tmp_path / "Mail" / ".Drafts" / sub).iterdir():
            assert path.read_bytes().rstrip().endswith(b"Alex")  # the signature: complete
