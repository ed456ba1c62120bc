"""A restart keeps the mailbox cursors: a fresh process (new provider objects, the same
state) idles at the same 2 requests per account as a long-running one, and a cursor that
went stale or bad costs a fresh look at Drafts, never a sent or discarded state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.secrets import KeyringSecrets
from afterword.providers.microsoft.mail import PROPERTY_ID
from tests.fakes.authority import FakeAuthority
from tests.fakes.google import FakeGoogle
from tests.fakes.graph import FakeGraph, prop
from tests.fakes.microsoft_setup import ME
from tests.runtime.test_fault_matrix import (
    GoogleRemote,
    GraphRemote,
    Remote,
    World,
    due_interviews,
    make_world,
)


@pytest.fixture(params=["google", "microsoft"])
def remote(request: pytest.FixtureRequest) -> Iterator[Remote]:
    """The HTTP mailboxes that keep a cursor (IMAP and Maildir keep none)."""
    if request.param == "google":
        fake = FakeGoogle()
        with fake.serve():
            yield GoogleRemote(fake)
        return
    with FakeAuthority() as authority:
        authority.add_user(ME, "Alex Rivera")
        with FakeGraph(authority) as graph:
            yield GraphRemote(authority, graph)


def api_requests(remote: Remote) -> list[str]:
    """Every API request the fake has answered (sign-in endpoints aside)."""
    if isinstance(remote, GoogleRemote):
        return [f"{r.method} {r.path}" for r in remote.fake.requests
                if r.path.startswith(("/calendar/", "/gmail/"))]
    assert isinstance(remote, GraphRemote)
    return [f"{e['method']} {e['path']}"
            + (" from a deltaLink" if "$deltatoken" in e["query"] else "")
            for e in remote.graph.log]


def listings(requests: list[str]) -> list[str]:
    """The requests that read Drafts from scratch: a Gmail drafts.list, or a Graph Drafts
    delta enumeration begun without a deltaLink."""
    return [r for r in requests if r == "GET /gmail/v1/users/me/drafts"
            or r == "GET /me/mailFolders('drafts')/messages/delta"]


def restart(world: World) -> None:
    """A new process: new cycle, new provider objects, the same config and state."""
    world.cycle = Cycle(world.cycle.config, world.store, KeyringSecrets(),
                        lambda: datetime.now(UTC), provider_extra=world.remote.extra())


def idle_cost(world: World) -> list[str]:
    before = len(api_requests(world.remote))
    report = world.run()
    assert report.ok, report
    assert not any(a.drafted or a.closed for a in report.accounts)
    return api_requests(world.remote)[before:]


def drafted_world(tmp_path: Path, remote: Remote) -> World:
    world = make_world(tmp_path, remote)
    assert world.run().ok
    due_interviews(world)
    first = world.run()
    assert first.ok and len({a.name: a for a in first.accounts}[remote.name].drafted) == 2
    return world


def test_a_fresh_process_idles_at_two_requests(tmp_path: Path, remote: Remote) -> None:
    world = drafted_world(tmp_path, remote)
    long_running = idle_cost(world)
    assert len(long_running) == 2, long_running
    for _ in range(2):
        restart(world)
        fresh = idle_cost(world)
        # One calendar read and one mailbox check: no listing of Drafts.
        assert len(fresh) == 2 and listings(fresh) == [], fresh
    assert set(world.states(remote.name).values()) == {"drafted"}


def user_sends_one_and_deletes_the_other(world: World) -> tuple[str, str]:
    """The user's doing, while no Afterword runs: returns (sent key, deleted key)."""
    remote = world.remote
    keys = sorted(world.states(remote.name))
    drafts = {d.key: d.provider_id for d in world.store.drafts(remote.name)}
    if isinstance(remote, GoogleRemote):
        remote.fake.user_send_draft(drafts[keys[0]])
        remote.fake.user_delete_draft(drafts[keys[1]])
    else:
        assert isinstance(remote, GraphRemote)
        ids = {prop(m, PROPERTY_ID): m["id"] for m in remote.graph.messages(ME, "drafts")}
        remote.graph.user_sends(ME, ids[keys[0]])
        remote.graph.user_deletes(ME, ids[keys[1]])
    return keys[0], keys[1]


def test_a_stale_cursor_falls_back_and_keeps_what_the_user_did(
        tmp_path: Path, remote: Remote) -> None:
    world = drafted_world(tmp_path, remote)
    assert world.store.mailbox_cursor(remote.name)
    sent, deleted = user_sends_one_and_deletes_the_other(world)
    if isinstance(remote, GraphRemote):
        remote.graph.expire_sync_state()  # the kept deltaLink now answers 410
    restart(world)
    assert world.run().ok
    states = world.states(remote.name)
    if isinstance(remote, GoogleRemote):
        # Gmail's historyId moved: Drafts listed again; without gmail.metadata Gmail
        # cannot tell sent from deleted, but neither is still waiting.
        assert states == {sent: "gone", deleted: "gone"}
    else:
        assert states == {sent: "sent", deleted: "discarded"}
    # Nothing left to track: the next fresh process reads the calendar and stops there.
    restart(world)
    assert len(idle_cost(world)) == 1


def test_a_garbled_cursor_costs_one_fresh_look(tmp_path: Path, remote: Remote) -> None:
    world = drafted_world(tmp_path, remote)
    for garbage in ("{not json", '{"history": 5, "listed": "x", "open": []}',
                    '{"delta": "https://elsewhere.example/steal", "open": []}'):
        world.store.set_mailbox_cursor(remote.name, garbage)
        restart(world)
        looked = idle_cost(world)
        assert len(listings(looked)) == 1, looked
        assert not any("elsewhere" in r for r in looked)
        assert set(world.states(remote.name).values()) == {"drafted"}
        assert world.store.mailbox_cursor(remote.name) != garbage
