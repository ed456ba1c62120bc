"""`afterword redraft` against the fake Graph: PATCH in place, Outlook edits left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import ME, person
from tests.providers.microsoft.test_microsoft_e2e import auth, authority, cli, graph, setup

__all__ = ["authority", "graph", "setup"]


def by_recipient(graph: FakeGraph) -> dict[str, dict]:
    return {d["toRecipients"][0]["emailAddress"]["address"]: d
            for d in graph.messages(ME, "drafts")}


def test_redraft_patches_unedited_outlook_drafts(setup: tuple[Path, dict[str, str]],
                                                 authority: FakeAuthority,
                                                 graph: FakeGraph) -> None:
    config, env = setup
    assert auth(config, env, authority).returncode == 0
    event_id = graph.add_event(
        ME, "Interview - Staff Engineer", datetime.now(UTC) - timedelta(hours=3),
        attendees=[person("Jane Doe", "jane@acme.com"), person("Raj Patel", "raj@acme.com"),
                   person("Alex Rivera", ME)], organizer=("Jane Doe", "jane@acme.com"))
    assert cli(config, env, "run", "--once").returncode == 0
    before = by_recipient(graph)
    graph.user_edits(ME, before["jane@acme.com"]["id"], "Hi Jane, my own words.")
    config.write_text(config.read_text().replace('signature = "Alex"',
                                                 'signature = "Alex Rivera, +1 555 0100"'))
    graph.reset_counters()

    result = cli(config, env, "redraft", event_id)

    assert result.returncode == 0, result.stderr
    assert "raj@acme.com: rewritten" in result.stdout
    assert "jane@acme.com: left alone: you edited it" in result.stdout
    after = by_recipient(graph)
    assert {k: d["id"] for k, d in after.items()} == {k: d["id"] for k, d in before.items()}
    assert "+1 555 0100" in after["raj@acme.com"]["body"]["content"]
    assert after["jane@acme.com"]["body"]["content"] == "Hi Jane, my own words."
    assert [e["method"] for e in graph.log].count("PATCH") == 1
    assert not [e for e in graph.log if e["method"] == "POST" and e["path"] == "/me/messages"]
