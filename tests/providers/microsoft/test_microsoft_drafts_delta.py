"""Tracking Outlook drafts through the Drafts message delta query, against the fake Graph."""

from __future__ import annotations

from datetime import datetime

import pytest

from afterword.daemon.errors import ProviderError, SyncTokenExpired, TransientError
from afterword.providers.base import DraftRef, MailboxState
from afterword.providers.microsoft.http import GraphError
from afterword.providers.microsoft.mail import IMMUTABLE, draft_payload
from afterword.providers.microsoft.provider import MicrosoftProvider
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import (  # noqa: F401 (fixtures)
    ME,
    authority_fixture,
    graph_fixture,
    make_provider,
    note,
    provider_fixture,
    sign_in,
)

DELTA = "/me/mailFolders('drafts')/messages/delta"


def open_drafts(graph: FakeGraph, count: int) -> dict[str, DraftRef]:
    """`count` of our drafts already in Drafts (made straight in the fake, as the bench does)."""
    box = graph.mailbox(ME)
    refs = {}
    with graph.lock:
        for i in range(count):
            made = graph._create(box, draft_payload(f"key{i}", note(f"key{i}")), IMMUTABLE)
            refs[f"key{i}"] = DraftRef(made["id"], made["internetMessageId"])
    return refs


def states_of(provider: MicrosoftProvider, refs: dict[str, DraftRef]) -> dict[str, str]:
    return {k: s.state.value for k, s in provider.mailbox().draft_states(refs).items()}


def test_an_idle_cycle_with_500_open_drafts_is_one_small_request(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    refs = open_drafts(graph, 500)
    with graph.lock:  # and drafts of the user's own, which are not ours
        for i in range(20):
            graph._create(graph.mailbox(ME), {"subject": f"mine {i}"}, IMMUTABLE)
    graph.reset_counters()
    assert set(states_of(provider, refs).values()) == {"open"}
    assert [list(e["query"]) for e in graph.log] == [["$select"], ["$skiptoken"],
                                                    ["$skiptoken"]]  # 520 ids, 200 a page

    for _ in range(3):
        graph.reset_counters()
        assert set(states_of(provider, refs).values()) == {"open"} and len(refs) == 500
        assert graph.requests == 1
        assert graph.bytes_out < 1000  # an empty `value` and the next deltaLink
        assert not graph.batch_log


def test_a_sent_draft_is_sent_with_its_time_a_deleted_one_discarded_an_edited_one_open(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    refs = open_drafts(graph, 30)
    assert set(states_of(provider, refs).values()) == {"open"}
    sent = graph.user_sends(ME, refs["key1"].provider_id)
    graph.user_deletes(ME, refs["key2"].provider_id)
    graph.user_deletes(ME, refs["key3"].provider_id, hard=True)
    graph.user_edits(ME, refs["key4"].provider_id, "Dear Jane, thanks again")
    graph.reset_counters()

    states = provider.mailbox().draft_states(refs)

    assert states["key1"].state is MailboxState.SENT
    assert states["key1"].sent_at == datetime.fromisoformat(
        sent["sentDateTime"].replace("Z", "+00:00"))
    assert states["key1"].ref is not None and states["key1"].ref.provider_id == sent["id"]
    assert states["key2"].state is MailboxState.DISCARDED
    assert states["key3"].state is MailboxState.DISCARDED
    assert states["key4"].state is MailboxState.OPEN
    assert {states[k].state for k in refs if k not in ("key1", "key2", "key3")} == \
        {MailboxState.OPEN}
    # The delta, then one $batch about the three that left (none about the edited one).
    assert graph.requests == 2
    asked = {e["query"].get("$filter", "") for e in graph.batch_log}
    assert not any("key4" in f for f in asked) and any("key1" in f for f in asked)

    graph.reset_counters()
    gone = {k: refs[k] for k in ("key1", "key2", "key3")}
    assert states_of(provider, {**gone, "key4": refs["key4"]})["key4"] == "open"
    assert graph.requests == 2  # departed drafts stay departed until the cycle records them


def test_a_draft_made_after_the_enumeration_is_reported_by_the_delta(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    refs = open_drafts(graph, 3)
    assert set(states_of(provider, refs).values()) == {"open"}
    refs["new"] = provider.mailbox().create_draft("new", note("new"))
    graph.reset_counters()
    assert set(states_of(provider, refs).values()) == {"open"}
    assert graph.requests == 1 and not graph.batch_log


def test_an_expired_delta_state_starts_the_enumeration_again_without_an_error(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    refs = open_drafts(graph, 12)
    assert set(states_of(provider, refs).values()) == {"open"}
    graph.expire_sync_state()
    sent = graph.user_sends(ME, refs["key5"].provider_id)
    graph.user_deletes(ME, refs["key6"].provider_id)
    graph.reset_counters()

    states = provider.mailbox().draft_states(refs)

    assert states["key5"].state is MailboxState.SENT
    assert states["key5"].ref is not None and states["key5"].ref.provider_id == sent["id"]
    assert states["key6"].state is MailboxState.DISCARDED
    assert sum(1 for s in states.values() if s.state is MailboxState.OPEN) == 10
    [expired, fresh] = [e for e in graph.log if e["path"] != "/$batch"]
    assert expired["status"] == 410 and "$deltatoken" in expired["query"]
    assert fresh["path"] == DELTA and fresh["query"] == {"$select": "id"}

    graph.reset_counters()
    open_refs = {k: r for k, r in refs.items() if k not in ("key5", "key6")}
    assert set(states_of(provider, open_refs).values()) == {"open"}
    assert graph.requests == 1  # back to the one small request


@pytest.mark.parametrize(("status", "code"), [(400, "syncStateNotFound"),
                                              (404, "syncStateNotFound"),
                                              (400, "resyncRequired"),
                                              (410, "syncStateNotFound"),
                                              (410, "resyncRequired"),
                                              (400, "BadRequest")])  # an invalid token
def test_every_way_of_losing_the_state_restarts_the_enumeration(
        provider: MicrosoftProvider, graph: FakeGraph, status: int, code: str) -> None:
    refs = open_drafts(graph, 3)
    assert set(states_of(provider, refs).values()) == {"open"}
    graph.user_deletes(ME, refs["key0"].provider_id, hard=True)
    graph.fail("GET", "/messages/delta", status, code=code, query="$deltatoken")
    graph.reset_counters()
    assert states_of(provider, refs) == {"key0": "discarded", "key1": "open", "key2": "open"}
    assert [e["status"] for e in graph.log if e["path"] != "/$batch"] == [status, 200]


def test_a_state_lost_in_the_middle_of_the_enumeration_fails_this_cycle_only(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    refs = open_drafts(graph, 250)
    graph.fail("GET", "/messages/delta", 410, query="$skiptoken")
    with pytest.raises(TransientError, match="410"):
        provider.mailbox().draft_states(refs)
    graph.reset_counters()
    assert set(states_of(provider, refs).values()) == {"open"}
    assert graph.log[0]["query"] == {"$select": "id"}  # started over


def test_a_new_process_starts_from_scratch(authority: FakeAuthority, graph: FakeGraph) -> None:
    first = make_provider(authority, graph)
    sign_in(first, authority)
    refs = open_drafts(graph, 20)
    assert set(states_of(first, refs).values()) == {"open"}
    graph.user_sends(ME, refs["key7"].provider_id)
    graph.reset_counters()

    second = make_provider(authority, graph)  # a restarted daemon: nothing in memory
    states = states_of(second, refs)

    assert states["key7"] == "sent"
    assert sum(1 for s in states.values() if s == "open") == 19
    assert graph.log[0]["path"] == DELTA and graph.log[0]["query"] == {"$select": "id"}


# -- the fake keeps to the documented API ----------------------------------------------


def test_the_fake_delta_pages_ten_by_default_and_wants_options_up_front(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    open_drafts(graph, 25)
    client = provider.client
    page = client.get(DELTA, {"$select": "id"}, (IMMUTABLE,))
    assert len(page["value"]) == 10 and "@odata.nextLink" in page
    assert page["value"][0]["@odata.type"] == "#microsoft.graph.message"
    assert set(page["value"][0]) == {"@odata.type", "@odata.etag", "id"}
    with pytest.raises(GraphError, match="400"):  # options belong in the first request
        client.get(page["@odata.nextLink"], {"$select": "subject"})
    for bad in ({"$filter": "isDraft eq true"}, {"$search": "thank"}, {"$skip": "5"}):
        with pytest.raises(GraphError, match="400"):
            client.get(DELTA, bad)


def test_the_fake_reports_only_what_it_handed_out(provider: MicrosoftProvider,
                                                  graph: FakeGraph) -> None:
    refs = open_drafts(graph, 2)
    client = provider.client
    prefer = (IMMUTABLE, "odata.maxpagesize=50")
    link = client.get(DELTA, {"$select": "id"}, prefer)["@odata.deltaLink"]
    brief = provider.mailbox().create_draft("brief", note("brief"))
    graph.user_deletes(ME, brief.provider_id, hard=True)  # made and gone between rounds
    graph.user_deletes(ME, refs["key0"].provider_id)
    page = client.get(link, None, prefer)
    assert page["value"] == [{"@odata.type": "#microsoft.graph.message",
                              "id": refs["key0"].provider_id,
                              "@removed": {"reason": "deleted"}}]
    again = client.get(page["@odata.deltaLink"], None, prefer)
    assert again["value"] == [] and again["@odata.deltaLink"] != page["@odata.deltaLink"]
    graph.expire_sync_state()
    with pytest.raises(SyncTokenExpired, match="410"):
        client.get(again["@odata.deltaLink"], None, prefer)


def test_access_denied_on_the_delta_link_is_an_error_not_a_new_enumeration(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    refs = open_drafts(graph, 3)
    assert set(states_of(provider, refs).values()) == {"open"}
    graph.fail("GET", "/messages/delta", 403, query="$deltatoken")
    graph.reset_counters()
    with pytest.raises(ProviderError, match=r"Mail\.ReadWrite"):
        provider.mailbox().draft_states(refs)
    assert graph.requests == 1
