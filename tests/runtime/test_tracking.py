"""The mailbox check around reminders: a note sent since the last poll is not reminded
about, and a dismissed draft that is sent later is still recorded as sent."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from pathlib import Path

from afterword.daemon import config as config_module
from afterword.daemon.runtime.service import Service
from tests.conftest import calendar, local_config, run_cli, vevent

JANE = "CN=Jane Doe:mailto:jane@acme.com"


def _status(config: Path) -> dict:
    result = run_cli("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview with Acme", start, attendees=[JANE])))
    out = tmp_path / "reminders.txt"
    command = json.dumps([sys.executable, "-c",
                          f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"])
    config = local_config(tmp_path, extra=(
        f'after = "1h"\nquiet_hours = ""\n[[reminders.channels]]\ntype = "command"\n'
        f"command = {command}\n"))
    config.write_text(config.read_text().replace("channels = []\n", ""))
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    return config, out


def _send_the_draft(tmp_path: Path, key: str) -> None:
    """What a mail client does on Send: the message leaves Drafts for Sent."""
    drafts = tmp_path / "Mail" / ".Drafts"
    sent = tmp_path / "Mail" / ".Sent" / "cur"
    sent.mkdir(parents=True, exist_ok=True)
    for path in [*(drafts / "cur").glob("*"), *(drafts / "new").glob("*")]:
        with path.open("rb") as handle:
            if BytesParser().parse(handle, headersonly=True)["X-Afterword-Key"] == key:
                path.rename(sent / path.name)
                return
    raise AssertionError(f"no draft with key {key}")


def test_a_note_sent_since_the_last_poll_is_not_reminded(tmp_path: Path) -> None:
    config, out = _setup(tmp_path)
    draft = _status(config)["drafts"][0]
    made = datetime.fromisoformat(draft["created_at"])
    _send_the_draft(tmp_path, draft["key"])
    # The reminder job fires (after = 1h) before any poll has seen the send.
    service = Service(config_module.load(config), config,
                      clock=lambda: made + timedelta(hours=1, minutes=1))
    try:
        service._remind()
    finally:
        service.store.close()
    assert not out.exists(), out.read_text()
    assert _status(config)["drafts"][0]["state"] == "sent"


def test_a_reminder_still_goes_out_when_the_draft_is_waiting(tmp_path: Path) -> None:
    config, out = _setup(tmp_path)
    made = datetime.fromisoformat(_status(config)["drafts"][0]["created_at"])
    service = Service(config_module.load(config), config,
                      clock=lambda: made + timedelta(hours=1, minutes=1))
    try:
        service._remind()
        # The outbox delivers in its own thread: wait for what it writes.
        deadline = time.monotonic() + 30
        while "a thank-you note is waiting in Drafts" not in (
                out.read_text() if out.exists() else ""):
            assert time.monotonic() < deadline, "no reminder delivered"
            time.sleep(0.05)
    finally:
        service.outbox.stop()
        service.store.close()


def test_a_dismissed_draft_sent_later_is_recorded_as_sent(tmp_path: Path) -> None:
    config, out = _setup(tmp_path)
    key = _status(config)["drafts"][0]["key"]
    assert run_cli("done", key, "--config", str(config)).returncode == 0
    assert _status(config)["drafts"][0]["state"] == "dismissed"
    # A cycle while it is still in Drafts: still dismissed, nothing reminded.
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert _status(config)["drafts"][0]["state"] == "dismissed"
    _send_the_draft(tmp_path, key)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    draft = _status(config)["drafts"][0]
    assert draft["state"] == "sent" and draft["closed_at"] is not None
    assert draft["next_reminder_at"] is None
    assert not out.exists()
