"""`afterword note last` answering the end nudge, through a real `afterword run` on a Google
and on a Microsoft calendar (the loopback fakes; the local one is in test_capture_daemon).

The drafts wait for notes (`drafts.wait_for_notes = "1h"`), so nothing is drafted before
the note whatever the machine's speed; the test then waits for the drafts to appear.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.daemon_proc import Daemon
from tests.fakes.authority import FakeAuthority
from tests.fakes.google import FakeGoogle
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import ME, person
from tests.fakes.webhook import Recorded, webhook_receiver
from tests.google_env import DEFAULT_SCOPES, google, interview

__all__ = ["google"]
NOTE = "Jane: the data pipeline migration"
SETTINGS = ('[drafts]\ndelay = "1s"\nwait_for_notes = "1h"\n[daemon]\npoll_interval = "1s"\n'
            '[secrets]\nbackend = "file"\n')


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def write_config(tmp_path: Path, account: str, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'{account}\n[reminders]\nquiet_hours = ""\n'
        f'[[reminders.channels]]\ntype = "webhook"\nurl = "{url}"\n' + SETTINGS)
    return path


def answer_the_nudge(daemon: Daemon, hook: Recorded, config: Path, env: dict[str, str],
                     drafted: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Wait for the end nudge, answer it with `afterword note last`, wait for the drafts."""
    daemon.wait_for(lambda: any("just ended" in (b or {}).get("title", "")
                                or "ended at" in (b or {}).get("title", "")
                                for b in hook.bodies()), "the end nudge", timeout=120)
    assert drafted() == {}, "drafted before the note came"
    result = run_cli("note", "last", NOTE, "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert "noted for Jane Doe" in result.stdout
    return daemon.wait_for(lambda: len(drafted()) == 2 and drafted(), "two drafts",
                           timeout=120)


def test_note_last_on_a_google_calendar(google: FakeGoogle, tmp_path: Path,
                                        xdg: dict[str, Path], daemons: list[Daemon]) -> None:
    from afterword.daemon.runtime.secrets import FileSecrets

    FileSecrets(xdg["state"] / "afterword" / "credentials.json").set(
        "personal", json.dumps(google.credentials(DEFAULT_SCOPES)))
    start = datetime.now(UTC) - timedelta(hours=1, minutes=2)
    google.put_event(interview("Interview: Acme Corp, Staff Engineer", start,
                               [("Jane Doe", "jane@acme.com"), ("Bob Smith", "bob@acme.com")]))

    def drafted() -> dict[str, str]:
        return {m["To"].addresses[0].addr_spec: str(m.get_body(("plain",)).get_content())
                for m in google.drafts().values()}

    with webhook_receiver() as (url, hook):
        config = write_config(tmp_path, f'[[accounts]]\nname = "personal"\nprovider = "google"\n'
                                        f'endpoint = "{google.url}"\n', url)
        daemon = Daemon(config)
        daemons.append(daemon)
        bodies = answer_the_nudge(daemon, hook, config, {}, drafted)
        assert daemon.stop() == 0
    assert "the data pipeline migration" in bodies["jane@acme.com"]
    assert "the data pipeline migration" not in bodies["bob@acme.com"]


@pytest.fixture
def authority() -> Iterator[FakeAuthority]:
    with FakeAuthority() as fake:
        fake.add_user(ME, "Alex Rivera")
        yield fake


@pytest.fixture
def graph(authority: FakeAuthority) -> Iterator[FakeGraph]:
    with FakeGraph(authority) as fake:
        yield fake


def test_note_last_on_a_microsoft_calendar(authority: FakeAuthority, graph: FakeGraph,
                                           tmp_path: Path, daemons: list[Daemon]) -> None:
    env = {"REQUESTS_CA_BUNDLE": str(authority.ca_path)}
    start = datetime.now(UTC) - timedelta(hours=1, minutes=2)
    graph.add_event(ME, "Interview - Staff Engineer", start,
                    attendees=[person("Jane Doe", "jane@acme.com"),
                               person("Raj Patel", "raj@acme.com"), person("Alex Rivera", ME)],
                    organizer=("Jane Doe", "jane@acme.com"))

    def drafted() -> dict[str, str]:
        return {d["toRecipients"][0]["emailAddress"]["address"]: d["body"]["content"]
                for d in graph.messages(ME, "drafts")}

    with webhook_receiver() as (url, hook):
        config = write_config(
            tmp_path, f'[[accounts]]\nname = "work"\nprovider = "microsoft"\n'
                      f'client_id = "{authority.client_id}"\n'
                      f'authority = "{authority.authority_url()}"\n'
                      f'graph_endpoint = "{graph.base}"\n', url)
        # Sign in as a user would (device code), approved once the CLI polls.
        approve = threading.Thread(target=lambda: (
            authority.wait_for_polls(authority.polls + 1),
            authority.approve(authority.pending_user_code(), ME)), daemon=True)
        approve.start()
        signed = run_cli("auth", "work", "--config", str(config), env=env)
        approve.join(5)
        assert signed.returncode == 0, signed.stderr
        daemon = Daemon(config, env=env)
        daemons.append(daemon)
        bodies = answer_the_nudge(daemon, hook, config, env, drafted)
        assert daemon.stop() == 0
    assert "the data pipeline migration" in bodies["jane@acme.com"]
    assert "the data pipeline migration" not in bodies["raj@acme.com"]
