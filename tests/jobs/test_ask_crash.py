"""kill -9 while the asks for names are drafted: afterwards exactly one ask per interview.

The ask goes through the same intent-then-write-then-record machinery as the thank-you
notes (its key is recorded before the mailbox is called, and looked up before any retry),
so a kill between the mailbox write and the state update never brings a second one. The
same seeded kill rounds as tests/runtime/test_crash.py, on Maildir and on the fake Gmail.
"""

from __future__ import annotations

import email
import json
import os
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon.runtime.secrets import FileSecrets
from tests.conftest import AFTERWORD, calendar, local_config, vevent
from tests.fakes.google import FakeGoogle
from tests.google_env import DEFAULT_SCOPES, google, interview
from tests.runtime.test_crash import Target, clear_maildir, finish_and_check, kill_rounds

__all__ = ["google"]
INTERVIEWS = 30
KILLS = max(10, int(os.environ.get("AFTERWORD_CRASH_KILLS", "200")) // 5)


def asks_and_thanks(now: datetime) -> str:
    """Every other interview needs names (the recruiting mailbox organized it)."""
    events = []
    for n in range(INTERVIEWS):
        start = now - timedelta(hours=3, minutes=n)
        if n % 2:
            events.append(vevent(f"iv-{n}", f"Interview {n} at Acme", start, attendees=[
                f"CN=Person {n};PARTSTAT=ACCEPTED:mailto:p{n}@acme.example"]))
        else:
            events.append(vevent(f"iv-{n}", f"Interview {n} at Acme", start, attendees=[
                "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com"],
                extra=["ORGANIZER;CN=Acme Recruiting:mailto:recruiting@acme.example"]))
    return calendar(*events)


def maildir_keys(folder: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for sub in ("cur", "new"):
        if (folder / sub).is_dir():
            for path in (folder / sub).iterdir():
                keys[email.message_from_bytes(path.read_bytes())["X-Afterword-Key"]] += 1
    return keys


def test_kill_9_while_asking_for_names_on_maildir(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(asks_and_thanks(datetime.now(UTC)))
    config = local_config(tmp_path)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "XDG_STATE_HOME": str(tmp_path / "state")}
    drafts = tmp_path / "Mail" / ".Drafts"
    target = Target([AFTERWORD, "run", "--once", "--config", str(config)], env, INTERVIEWS,
                    lambda: maildir_keys(drafts), clear_maildir(drafts),
                    lambda: sum(maildir_keys(drafts).values()))
    mid = kill_rounds(target, KILLS, seed=20261206)
    finish_and_check(target, config)
    assert mid >= 1, (mid, KILLS)
    rows = {kind: n for kind, n in target_kinds(target)}
    assert rows == {"ask_names": INTERVIEWS // 2, "thanks": INTERVIEWS // 2}


def target_kinds(target: Target) -> list[tuple[str, int]]:
    db = sqlite3.connect(target.db)
    try:
        return db.execute("SELECT kind, COUNT(*) FROM drafts GROUP BY kind").fetchall()
    finally:
        db.close()


def test_kill_9_while_asking_for_names_in_gmail(tmp_path: Path, google: FakeGoogle) -> None:
    now = datetime.now(UTC)
    for n in range(INTERVIEWS):
        # No guest but me: the organizer (hr@acme.com, a shared mailbox) is asked.
        google.put_event(interview(f"Interview {n}: Acme", now - timedelta(hours=3, minutes=n),
                                   [] if n % 2 else [(f"Person {n}", f"p{n}@acme.com")]))
    state = tmp_path / "state"
    FileSecrets(state / "afterword" / "credentials.json").set(
        "personal", json.dumps(google.credentials(DEFAULT_SCOPES)))
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nendpoint = "{google.url}"\n\n'
        '[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n')
    env = {**os.environ, "XDG_STATE_HOME": str(state)}

    def keys() -> Counter[str]:
        return Counter(str(m["X-Afterword-Key"]) for m in google.drafts().values())

    def clear() -> None:
        for draft_id in list(google.mailbox.drafts):
            google.user_delete_draft(draft_id)

    target = Target([AFTERWORD, "run", "--once", "--config", str(config)], env, INTERVIEWS,
                    keys, clear, lambda: len(google.mailbox.drafts),
                    marks={"creates": lambda: len(google.calls("POST", "/drafts$"))})
    mid = kill_rounds(target, KILLS // 2, seed=20261207)
    finish_and_check(target, config)
    assert mid >= 1, (mid, KILLS)
    asked = [m for m in google.drafts().values() if str(m["To"]) == "hr@acme.com"]
    assert len(asked) == INTERVIEWS // 2  # one per names-needed interview, never two
    assert all("names" in str(m["Subject"]) for m in asked)
    assert len({str(m["X-Afterword-Key"]) for m in asked}) == INTERVIEWS // 2
