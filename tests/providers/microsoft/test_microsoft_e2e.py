"""End to end: the installed `afterword` CLI against the fake authority and fake Graph."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from afterword.providers.microsoft.mail import PROPERTY_ID
from tests.conftest import calendar, run_cli, vevent
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph, prop
from tests.fakes.microsoft_setup import ME, person

ROOM = person("Board Room 4", "room4@acme.com", kind="resource", response="none")


@pytest.fixture
def authority() -> Iterator[FakeAuthority]:
    with FakeAuthority() as fake:
        fake.add_user(ME, "Alex Rivera")
        yield fake


@pytest.fixture
def graph(authority: FakeAuthority) -> Iterator[FakeGraph]:
    with FakeGraph(authority) as fake:
        yield fake


@pytest.fixture
def setup(tmp_path: Path, authority: FakeAuthority,
          graph: FakeGraph) -> tuple[Path, dict[str, str]]:
    """A config with a microsoft account and a local one; credentials in the file backend."""
    ics = tmp_path / "local.ics"
    ics.write_text(calendar())
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'[[accounts]]\nname = "work"\nprovider = "microsoft"\n'
        f'client_id = "{authority.client_id}"\nauthority = "{authority.authority_url()}"\n'
        f'graph_endpoint = "{graph.base}"\nflag_drafts = true\n\n'
        f'[[accounts]]\nname = "home"\nprovider = "local"\ncalendar = "{ics}"\n'
        f'maildir = "{tmp_path / "Mail"}"\n\n'
        '[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n')
    return config, {"REQUESTS_CA_BUNDLE": str(authority.ca_path)}


def cli(config: Path, env: dict[str, str], *args: str) -> Any:
    return run_cli(*args, "--config", str(config), env=env)


def status(config: Path, env: dict[str, str]) -> dict[str, Any]:
    result = cli(config, env, "status", "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def auth(config: Path, env: dict[str, str], authority: FakeAuthority) -> Any:
    """`afterword auth work`, approved once the CLI is polling."""
    def approve() -> None:
        authority.wait_for_polls(authority.polls + 1)
        authority.approve(authority.pending_user_code(), ME)
    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    result = cli(config, env, "auth", "work")
    thread.join(5)
    return result


def test_auth_draft_track_faults_and_reauth(setup: tuple[Path, dict[str, str]],
                                           authority: FakeAuthority, graph: FakeGraph,
                                           tmp_path: Path, xdg: dict[str, Path]) -> None:
    config, env = setup
    now = datetime.now(UTC)

    signed = auth(config, env, authority)
    assert signed.returncode == 0, signed.stderr
    assert "enter the code" in signed.stdout
    assert f"account 'work': signed in as {ME}" in signed.stdout
    stored = json.loads((xdg["state"] / "afterword" / "credentials.json").read_text())
    assert "RefreshToken" in stored["work"]

    # An interview that ended two hours ago: two interviewers, a room, and me.
    graph.add_event(ME, "Interview - Staff Engineer", now - timedelta(hours=3),
                    attendees=[person("Jane Doe", "jane@acme.com"),
                               person("Raj Patel", "raj@acme.com"), ROOM,
                               person("Alex Rivera", ME)],
                    organizer=("Jane Doe", "jane@acme.com"))
    graph.add_event(ME, "Lunch", now - timedelta(hours=5), attendees=[person("Sam", "s@x.org")])
    # No keyword in the title: the Outlook category says it is an interview.
    graph.add_event(ME, "Catch-up with Mia", now - timedelta(hours=4), categories=["Interview"],
                    attendees=[person("Mia Wong", "mia@initech.com")])

    first = cli(config, env, "run", "--once")
    assert first.returncode == 0, first.stderr
    assert "3 draft(s) written" in first.stdout
    drafts = {d["toRecipients"][0]["emailAddress"]["address"]: d
              for d in graph.messages(ME, "drafts")}
    assert set(drafts) == {"jane@acme.com", "raj@acme.com", "mia@initech.com"}
    jane = drafts["jane@acme.com"]
    assert jane["toRecipients"][0]["emailAddress"]["name"] == "Jane Doe"
    assert jane["subject"].startswith("Thank you")
    assert "Hi Jane," in jane["body"]["content"]
    assert jane["flag"]["flagStatus"] == "flagged"
    keys = {d["recipient"]: d["key"] for d in status(config, env)["drafts"]}
    assert prop(jane, PROPERTY_ID) == keys["jane@acme.com"]

    # Idle: one calendar delta request and one Drafts delta request (a new process asks
    # the Drafts deltaLink the last one kept in the state), nothing drafted twice.
    graph.reset_counters()
    idle = cli(config, env, "run", "--once")
    assert idle.returncode == 0 and "0 draft(s) written" in idle.stdout
    assert [e["path"].endswith("/messages/delta") for e in graph.log] == [False, True]
    assert graph.log[0]["path"] == "/me/calendarView/delta"
    assert "$deltatoken" in graph.log[1]["query"]

    # Jane's note is sent, Raj's deleted.
    graph.user_sends(ME, jane["id"])
    graph.user_deletes(ME, drafts["raj@acme.com"]["id"])
    tracked = cli(config, env, "run", "--once")
    assert "2 draft(s) closed" in tracked.stdout
    states = {d["recipient"]: d for d in status(config, env)["drafts"]}
    assert states["jane@acme.com"]["state"] == "sent"
    assert states["jane@acme.com"]["sent_at"] is not None
    assert states["raj@acme.com"]["state"] == "discarded"

    # Faults: a 503 on create, then an answer lost after the draft was made.
    graph.add_event(ME, "Phone screen", now - timedelta(hours=2),
                    attendees=[person("Kim Lee", "kim@acme.com")])
    graph.add_event(ME, "Technical screen", now - timedelta(hours=2),
                    attendees=[person("Lu Chen", "lu@acme.com")])
    graph.fail("POST", "/me/messages", 503)
    graph.fail("POST", "/me/messages", drop_after_apply=True)
    graph.fail("GET", "/calendarView/delta", 429, retry_after=1)
    faulty = cli(config, env, "run", "--once")
    assert faulty.returncode == 1
    assert "503" in faulty.stderr
    retried = cli(config, env, "run", "--once")
    assert retried.returncode == 0, retried.stderr
    recipients = [d["toRecipients"][0]["emailAddress"]["address"]
                  for d in graph.messages(ME, "drafts")]
    assert sorted(recipients) == ["kim@acme.com", "lu@acme.com", "mia@initech.com"]

    # The sign-in is revoked: the account needs re-auth, the local account still drafts.
    authority.revoke(ME)
    ics = tmp_path / "local.ics"
    ics.write_text(calendar(vevent(
        "local-1", "Interview with Globex", now - timedelta(hours=2),
        attendees=['CN="Pat Kim":mailto:pat@globex.com'])))
    revoked = cli(config, env, "run", "--once")
    assert revoked.returncode == 1
    assert "afterword auth work" in revoked.stderr
    data = status(config, env)
    work = next(a for a in data["accounts"] if a["name"] == "work")
    assert work["needs_reauth"] is True
    assert work["reauth_command"] == "afterword auth work"
    text = cli(config, env, "status").stdout
    assert "! account work needs to sign in again: run `afterword auth work`" in text
    home = [d for d in data["drafts"] if d["account"] == "home"]
    assert [(d["recipient"], d["state"]) for d in home] == [("pat@globex.com", "drafted")]

    # Signing in again clears it.
    assert auth(config, env, authority).returncode == 0
    assert cli(config, env, "run", "--once").returncode == 0
    work = next(a for a in status(config, env)["accounts"] if a["name"] == "work")
    assert work["needs_reauth"] is False


def test_a_server_without_message_delta_still_tracks_each_cycle(
        setup: tuple[Path, dict[str, str]], authority: FakeAuthority, graph: FakeGraph) -> None:
    config, env = setup
    now = datetime.now(UTC)
    assert auth(config, env, authority).returncode == 0
    graph.add_event(ME, "Interview - Platform", now - timedelta(hours=3),
                    attendees=[person("Jane Doe", "jane@acme.com"),
                               person("Raj Patel", "raj@acme.com")])
    assert "2 draft(s) written" in cli(config, env, "run", "--once").stdout
    drafts = {d["toRecipients"][0]["emailAddress"]["address"]: d
              for d in graph.messages(ME, "drafts")}
    # From now on Graph has no message delta (as in its China cloud).
    graph.fail("GET", "/messages/delta", 400, times=10_000)
    graph.user_sends(ME, drafts["jane@acme.com"]["id"])
    graph.reset_counters()

    tracked = cli(config, env, "run", "--once")

    assert tracked.returncode == 0, tracked.stderr
    assert "1 draft(s) closed" in tracked.stdout
    refusals = [line for line in tracked.stderr.splitlines() if "no delta for Drafts" in line]
    assert len(refusals) == 1 and "400" in refusals[0]
    asked = [e for e in graph.log if e["path"].endswith("/messages/delta")]
    # The deltaLink the last process kept, then a fresh start: refused, not retried in a
    # loop (and no link is kept for the next process).
    assert len(asked) == 2 and "$deltatoken" in asked[0]["query"]
    again = cli(config, env, "run", "--once")
    assert again.returncode == 0 and "no delta for Drafts" in again.stderr
    states = {d["recipient"]: d["state"] for d in status(config, env)["drafts"]}
    assert states == {"jane@acme.com": "sent", "raj@acme.com": "drafted"}
