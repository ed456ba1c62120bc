"""End to end: `afterword run --once` against the fake Google, as a user would run it, and
the daemon's cycles (one process, several cycles) for what an idle daemon costs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from afterword.daemon.config import load
from afterword.daemon.model import DraftKey, DraftState
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.secrets import FileSecrets
from afterword.daemon.runtime.store import Store
from afterword.providers.google.mail import RELIST_EVERY
from tests.conftest import calendar, run_cli, vevent
from tests.fakes.google import FakeGoogle
from tests.google_env import DEFAULT_SCOPES, METADATA, google, interview

__all__ = ["google"]
KEY = "X-Afterword-Key"


def setup(tmp_path: Path, xdg: dict[str, Path], fake: FakeGoogle, *, track_sent: bool = False,
          with_local: bool = False, timeout: str = "60s") -> Path:
    """A config with a Google account on the fake (file backend) and its credentials."""
    scopes = [*DEFAULT_SCOPES, METADATA] if track_sent else DEFAULT_SCOPES
    FileSecrets(xdg["state"] / "afterword" / "credentials.json").set(
        "personal", json.dumps(fake.credentials(scopes)))
    local = ""
    if with_local:
        start = datetime.now(UTC) - timedelta(hours=3)
        ics = tmp_path / "local.ics"
        ics.write_text(calendar(vevent("local-1", "Interview with Initech", start, attendees=[
            "CN=Peter Gibbons;PARTSTAT=ACCEPTED:mailto:peter@initech.com",
            "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com"])))
        local = (f'[[accounts]]\nname = "local"\nprovider = "local"\ncalendar = "{ics}"\n'
                 f'maildir = "{tmp_path / "Mail"}"\n\n')
    path = tmp_path / "config.toml"
    path.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nendpoint = "{fake.url}"\n'
        f'track_sent = {"true" if track_sent else "false"}\ntimeout = "{timeout}"\n\n{local}'
        '[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n')
    return path


def panel(fake: FakeGoogle) -> dict[str, Any]:
    """An interview that ended two hours ago with two interviewers."""
    start = datetime.now(UTC) - timedelta(hours=3)
    return fake.put_event(interview(
        "Interview: Acme Corp, Staff Engineer", start,
        [("Jane Doe", "jane@acme.com"), ("Bob Smith", "bob@acme.com")]))


def run(config: Path) -> Any:
    return run_cli("run", "--once", "--config", str(config))


def status(config: Path) -> dict[str, Any]:
    result = run_cli("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def drafts_by_recipient(fake: FakeGoogle) -> dict[str, Any]:
    return {msg["To"].addresses[0].addr_spec: msg for msg in fake.drafts().values()}


def test_one_draft_per_interviewer_then_send_and_delete(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google, track_sent=True)
    panel(google)
    first = run(config)
    assert first.returncode == 0, first.stderr
    assert "2 draft(s) written" in first.stdout
    drafts = drafts_by_recipient(google)
    assert set(drafts) == {"jane@acme.com", "bob@acme.com"}
    jane = drafts["jane@acme.com"]
    assert jane["To"].addresses[0].display_name == "Jane Doe"
    assert "Jane" in jane.get_body(("plain",)).get_content()
    assert jane["Subject"] and jane[KEY] and jane[KEY] != drafts["bob@acme.com"][KEY]
    assert jane["From"].addresses[0].addr_spec == "alex@example.com"

    ids = {msg[KEY]: draft_id for draft_id, msg in google.drafts().items()}
    google.user_send_draft(ids[jane[KEY]])
    google.user_delete_draft(ids[drafts["bob@acme.com"][KEY]])
    google.reset_log()
    second = run(config)
    assert second.returncode == 0, second.stderr
    states = {d["recipient"]: d for d in status(config)["drafts"]}
    assert states["jane@acme.com"]["state"] == "sent" and states["jane@acme.com"]["sent_at"]
    assert states["bob@acme.com"]["state"] == "discarded"
    assert len(google.calls(path="/events$")) == 1  # incremental: one request
    assert len(google.calls("GET", "/drafts$")) == 1

    google.reset_log()
    assert run(config).returncode == 0
    assert [c.path for c in google.requests] == ["/calendar/v3/calendars/primary/events"]
    assert google.drafts() == {}


def test_a_new_process_tracks_on_without_listing_the_drafts(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google)
    panel(google)
    assert run(config).returncode == 0
    google.reset_log()
    assert run(config).returncode == 0
    paths = [c.path for c in google.requests]  # the saved access token is reused
    # `run --once` is a new process: the historyId and listing the last one kept in the
    # state still hold, so the drafts are not listed again.
    assert paths == ["/calendar/v3/calendars/primary/events", "/gmail/v1/users/me/profile"]
    states = {d["state"] for d in status(config)["drafts"]}
    assert states == {"drafted"}


@pytest.mark.parametrize("fault", [
    {"kind": "commit_then_status", "status": 500},
    {"kind": "commit_then_drop"},
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 429, "retry_after": "1"},
    {"kind": "drop"},
    {"kind": "malformed"},
])
def test_no_duplicate_after_a_fault_on_create(google, tmp_path, xdg, fault):
    config = setup(tmp_path, xdg, google)
    panel(google)
    google.fault(method="POST", path="/drafts$", **fault)
    run(config)
    run(config)  # a failed attempt is retried (after looking) on the next cycle
    recipients = sorted(m["To"].addresses[0].addr_spec for m in google.drafts().values())
    assert recipients == ["bob@acme.com", "jane@acme.com"]
    assert {d["state"] for d in status(config)["drafts"]} == {"drafted"}


@pytest.mark.parametrize("fault", [
    {"kind": "status", "status": 500, "count": 2},
    {"kind": "malformed", "count": 1},
    {"kind": "drop", "count": 2},
])
def test_calendar_faults_pass(google, tmp_path, xdg, fault):
    config = setup(tmp_path, xdg, google)
    panel(google)
    google.fault(path="/events$", **fault)
    result = run(config)
    assert result.returncode == 0, result.stderr
    assert len(google.drafts()) == 2


def test_a_lasting_outage_is_reported_and_nothing_is_lost(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google)
    panel(google)
    google.fault("status", path="/events$", status=503, count=4)
    result = run(config)
    assert result.returncode == 1
    assert "HTTP 503" in result.stderr and "Traceback" not in result.stderr
    assert google.drafts() == {}
    assert run(config).returncode == 0
    assert len(google.drafts()) == 2


def test_a_revoked_grant_needs_reauth_while_others_keep_working(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google, with_local=True)
    panel(google)
    google.revoke_all()
    result = run(config)
    assert result.returncode == 1
    assert "afterword auth personal" in result.stderr
    data = status(config)
    accounts = {a["name"]: a for a in data["accounts"]}
    assert accounts["personal"]["needs_reauth"] is True
    assert accounts["personal"]["reauth_command"] == "afterword auth personal"
    assert accounts["local"]["needs_reauth"] is False
    assert [d["recipient"] for d in data["drafts"]] == ["peter@initech.com"]
    table = run_cli("status", "--config", str(config)).stdout
    assert "afterword auth personal" in table


@pytest.mark.parametrize("path", ["/drafts$", "/events$"])
def test_answers_slower_than_the_timeout(google, tmp_path, xdg, path):
    """The fake stores the draft, then answers after the client gave up."""
    config = setup(tmp_path, xdg, google, timeout="1s")
    panel(google)
    google.fault("slow", path=path, method="POST" if "drafts" in path else "GET",
                 delay=2.5)
    first = run(config)
    assert first.returncode == 0, first.stderr
    recipients = sorted(m["To"].addresses[0].addr_spec for m in google.drafts().values())
    assert recipients == ["bob@acme.com", "jane@acme.com"]
    assert len(google.calls("POST", "/drafts$")) == 2


def earlier_notes(fake: FakeGoogle, store: Store, count: int) -> None:
    """`count` notes from earlier interviews, open in Drafts and `drafted` in the state
    (written days ago: drafts.max_per_day counts the last 24 hours)."""
    now = datetime.now(UTC) - timedelta(days=3)
    with fake.lock, store.transaction():
        for i in range(count):
            key = DraftKey("personal", f"old-{i}", f"r{i}@acme.com")
            msg = EmailMessage()
            msg["To"], msg["Subject"], msg[KEY] = f"R {i} <r{i}@acme.com>", "Thank you", key.id
            msg.set_content(f"Dear R {i},\n\nThank you for your time.\n")
            draft_id, stored = fake.mailbox.create_draft(msg.as_bytes())
            store.plan_draft(key, f"R {i}", now)
            store.record_drafted(key.id, draft_id, stored.thread_id, now)


def test_a_running_daemon_idles_on_two_small_requests_with_500_open_drafts(
        google, tmp_path, xdg):
    config = load(setup(tmp_path, xdg, google, track_sent=True))
    store = Store(tmp_path / "state.db")
    seconds = [0.0]
    cycle = Cycle(config, store, FileSecrets(xdg["state"] / "afterword" / "credentials.json"),
                  lambda: datetime.now(UTC),
                  provider_extra={"google_monotonic": lambda: seconds[0]})
    earlier_notes(google, store, 500)
    panel(google)

    def idle_cycle() -> None:
        google.reset_log()
        assert cycle.run().ok
        assert [c.path for c in google.requests] == [
            "/calendar/v3/calendars/primary/events", "/gmail/v1/users/me/profile"]
        assert sum(r.bytes_in + r.bytes_out + len(r.path) + len(urlencode(r.query, doseq=True))
                   for r in google.requests) <= 10_000

    def states() -> dict[str, DraftState]:
        return {d.recipient: d.state for d in store.drafts("personal")}

    first = cycle.run()
    assert first.ok and len(first.accounts[0].drafted) == 2
    for _ in range(3):
        idle_cycle()
    assert set(states().values()) == {DraftState.DRAFTED}

    jane = next(d for d, m in google.drafts().items()
                if m["To"].addresses[0].addr_spec == "jane@acme.com")
    google.user_send_draft(jane)
    google.reset_log()
    assert cycle.run().ok
    assert len(google.calls("GET", "/drafts$")) == 2  # 501 drafts: two pages
    after = states()
    assert after.pop("jane@acme.com") is DraftState.SENT
    assert set(after.values()) == {DraftState.DRAFTED}
    idle_cycle()

    seconds[0] += RELIST_EVERY  # an hour without a change: listed again all the same
    google.reset_log()
    assert cycle.run().ok
    assert len(google.calls("GET", "/drafts$")) == 2
    idle_cycle()
    store.close()
