"""The Microsoft provider's drafts: Outlook drafts against the fake Graph."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afterword.daemon.errors import ProviderError, TransientError
from afterword.providers.base import DraftRef, MailboxState
from afterword.providers.microsoft.mail import PROPERTY_ID
from afterword.providers.microsoft.provider import MicrosoftProvider
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph, prop
from tests.fakes.microsoft_setup import (  # noqa: F401 (fixtures)
    ME,
    authority_fixture,
    graph_fixture,
    make_provider,
    note,
    provider_fixture,
    sign_in,
    window,
)

# -- drafts ----------------------------------------------------------------------------


def test_draft_is_created_tagged_and_found_again(provider: MicrosoftProvider,
                                                 graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    ref = mailbox.create_draft("k1", note("k1", to='"Doe, Jane" <jane@acme.com>', html=True))

    [draft] = graph.messages(ME, "drafts")
    assert draft["id"] == ref.provider_id and draft["_immutable"]
    assert draft["toRecipients"] == [{"emailAddress": {"address": "jane@acme.com",
                                                       "name": "Doe, Jane"}}]
    assert draft["subject"] == "Thank you for today"
    assert draft["body"]["contentType"] == "HTML" and "<p>Dear Jane,</p>" in \
        draft["body"]["content"]
    assert prop(draft, PROPERTY_ID) == "k1" and len(draft["_props"]) == 1
    assert draft["internetMessageHeaders"] == [{"name": "x-afterword-key", "value": "k1"}]
    assert draft["flag"] == {"flagStatus": "notFlagged"}
    assert mailbox.find_draft("k1") == ref
    assert mailbox.find_draft("other") is None


def test_plain_text_draft_and_flag_with_deadline(authority: FakeAuthority,
                                                 graph: FakeGraph) -> None:
    provider = make_provider(authority, graph, flag_drafts=True)
    sign_in(provider, authority)
    provider.mailbox().create_draft("k2", note("k2"),
                                    send_by=datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
    [draft] = graph.messages(ME, "drafts")
    assert draft["body"] == {"contentType": "Text", "content": "Dear Jane,\n\nThank you.\n"}
    assert draft["flag"]["flagStatus"] == "flagged"
    assert draft["flag"]["dueDateTime"] == {"dateTime": "2026-11-28T15:00:00",
                                            "timeZone": "UTC"}
    assert "startDateTime" in draft["flag"]


def test_tracking_costs_one_request_and_tells_sent_from_discarded(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    refs = {k: mailbox.create_draft(k, note(k)) for k in ("a", "b", "c", "d")}
    graph.user_edits(ME, refs["a"].provider_id, "Dear Jane, edited")
    graph.reset_counters()

    states = mailbox.draft_states(refs)
    assert {k: s.state for k, s in states.items()} == dict.fromkeys(refs, MailboxState.OPEN)
    assert graph.requests == 1

    sent = graph.user_sends(ME, refs["b"].provider_id)
    graph.user_deletes(ME, refs["c"].provider_id)
    graph.user_deletes(ME, refs["d"].provider_id, hard=True)
    graph.reset_counters()
    states = mailbox.draft_states(refs)

    assert states["a"].state is MailboxState.OPEN
    assert states["b"].state is MailboxState.SENT
    assert states["b"].sent_at is not None and states["b"].ref is not None
    assert states["b"].ref.provider_id == sent["id"] != refs["b"].provider_id
    assert states["c"].state is MailboxState.DISCARDED
    assert states["d"].state is MailboxState.DISCARDED
    assert graph.requests == 2  # the delta, then one $batch for the three that left


def test_a_sent_copy_without_our_property_is_found_by_internet_message_id(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    ref = mailbox.create_draft("k5", note("k5"))
    assert ref.thread_id  # the internetMessageId, kept for this
    graph.user_sends(ME, ref.provider_id, keep_properties=False)
    states = mailbox.draft_states({"k5": ref})
    assert states["k5"].state is MailboxState.SENT


def test_tracking_copes_with_a_server_that_cannot_run_every_query(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    refs = {k: mailbox.create_draft(k, note(k)) for k in ("e", "f")}
    graph.user_deletes(ME, refs["f"].provider_id, hard=True)
    graph.fail("GET", "outbox", 400, in_batch=True)
    graph.fail("GET", "internetMessageId", 400, in_batch=True)
    states = mailbox.draft_states(refs)
    assert states["e"].state is MailboxState.OPEN
    assert states["f"].state is MailboxState.DISCARDED

    ref = mailbox.create_draft("g", note("g"))
    graph.user_sends(ME, ref.provider_id)
    graph.fail("GET", "sentitems", 503, in_batch=True, times=10)
    assert "g" not in mailbox.draft_states({"g": ref})  # unknown for now, asked again later


def test_dropped_answer_to_create_finds_the_draft_instead_of_a_second_one(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    graph.fail("POST", "/me/messages", drop_after_apply=True)
    ref = provider.mailbox().create_draft("k3", note("k3"))
    [draft] = graph.messages(ME, "drafts")
    assert draft["id"] == ref.provider_id


def test_server_error_on_create_is_transient_and_not_retried_blindly(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    graph.fail("POST", "/me/messages", 500)
    with pytest.raises(TransientError):
        provider.mailbox().create_draft("k4", note("k4"))
    assert graph.messages(ME, "drafts") == []
    assert [e["method"] for e in graph.log if e["path"] == "/me/messages"] == ["POST"]


def test_throttling_honours_retry_after_then_backs_off(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps)
    sign_in(provider, authority)
    graph.fail("GET", "/calendarView/delta", 429, retry_after=7)
    graph.fail("GET", "/calendarView/delta", 503)
    graph.fail("GET", "/calendarView/delta", 504)
    provider.calendar().changes(window(), None)
    assert sleeps == [7, 2, 4]

    graph.fail("GET", "/me/mailFolders", 503, times=10, retry_after=1)
    with pytest.raises(TransientError) as caught:
        provider.mailbox().find_draft("x")
    assert caught.value.retry_after == 1
    graph.faults.clear()

    graph.fail("GET", "/me/mailFolders", 429, retry_after=3600)
    with pytest.raises(TransientError) as caught:  # too long to wait inside a cycle
        provider.mailbox().find_draft("x")
    assert caught.value.retry_after == 3600


def test_a_slow_answer_times_out_and_a_read_is_retried(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps, timeout=(5.0, 1.0))
    sign_in(provider, authority)
    graph.reset_counters()
    # Far past the 1 s read timeout, even on a busy machine.
    graph.fail("GET", "/me/mailFolders('drafts')", delay=6.0)
    assert provider.mailbox().find_draft("x") is None
    drafts = [e for e in graph.log if e["path"] == "/me/mailFolders('drafts')/messages"]
    assert drafts[0]["status"] is None  # never answered in time
    assert drafts[-1]["status"] == 200  # asked again after a backoff
    assert sleeps == [1.0]


def test_a_lookup_the_batch_cannot_run_is_asked_directly(provider: MicrosoftProvider,
                                                         graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    ref = mailbox.create_draft("h", note("h"))
    graph.user_sends(ME, ref.provider_id)
    graph.fail("GET", "sentitems", 400, in_batch=True, times=2)
    assert mailbox.draft_states({"h": ref})["h"].state is MailboxState.SENT


# -- tracking with the documented message delta query ----------------------------------


def test_tracking_follows_drafts_with_the_documented_delta_query(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    refs = {k: mailbox.create_draft(k, note(k)) for k in ("m1", "m2")}
    graph.reset_counters()
    states = mailbox.draft_states(refs)
    assert {k: s.state for k, s in states.items()} == dict.fromkeys(refs, MailboxState.OPEN)
    [first] = graph.log
    assert first["path"] == "/me/mailFolders('drafts')/messages/delta"
    assert first["query"] == {"$select": "id"}
    assert 'IdType="ImmutableId"' in first["prefer"] and "odata.maxpagesize=" in first["prefer"]

    graph.reset_counters()
    mailbox.draft_states(refs)
    [later] = graph.log
    # The deltaLink exactly as Graph wrote it: another spelling of the folder, a token.
    assert later["path"].startswith("/me/mailfolders('AQMk") and later["path"] != first["path"]
    assert list(later["query"]) == ["$deltatoken"]
    assert 'IdType="ImmutableId"' in later["prefer"]


def test_the_fake_refuses_a_null_comparison_as_exchange_does(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    provider.mailbox().create_draft("n1", note("n1"))
    flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROPERTY_ID}' and ep/value ne null)"
    with pytest.raises(TransientError, match="500"):
        provider.client.get("/me/mailFolders('drafts')/messages", {"$filter": flt})


@pytest.mark.parametrize("status", [400, 404, 501])
def test_an_endpoint_without_message_delta_lists_the_draft_ids_instead(
        authority: FakeAuthority, graph: FakeGraph, status: int,
        caplog: pytest.LogCaptureFixture) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps)
    sign_in(provider, authority)
    mailbox = provider.mailbox()
    refs = {k: mailbox.create_draft(k, note(k)) for k in ("r1", "r2")}
    graph.user_deletes(ME, refs["r2"].provider_id, hard=True)
    # A Graph without message delta (the one in China has none).
    graph.fail("GET", "/messages/delta", status, times=1000)
    graph.reset_counters()

    states = mailbox.draft_states(refs)
    assert states["r1"].state is MailboxState.OPEN
    assert states["r2"].state is MailboxState.DISCARDED
    assert sleeps == []  # a refusal is not retried with backoff
    deltas = [e for e in graph.log if e["path"].endswith("/delta")]
    assert len(deltas) == 1 and deltas[0]["status"] == status
    listing = next(e for e in graph.log if e["path"].endswith("/messages"))
    assert listing["query"] == {"$select": "id", "$top": "100"}
    [warning] = [r for r in caplog.records if "no delta for Drafts" in r.getMessage()]
    assert "\n" not in warning.getMessage() and str(status) in warning.getMessage()

    # Later cycles go straight to the listing: one request, delta is not asked again.
    graph.reset_counters()
    assert mailbox.draft_states({"r1": refs["r1"]})["r1"].state is MailboxState.OPEN
    assert graph.requests == 1 and graph.log[0]["path"] == "/me/mailFolders('drafts')/messages"


def test_throttling_on_the_delta_is_waited_out_not_taken_for_a_refusal(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps)
    sign_in(provider, authority)
    mailbox = provider.mailbox()
    ref = mailbox.create_draft("t1", note("t1"))
    graph.fail("GET", "/messages/delta", 429, retry_after=5)
    assert mailbox.draft_states({"t1": ref})["t1"].state is MailboxState.OPEN
    assert sleeps == [5]
    graph.fail("GET", "/messages/delta", 503, times=10)
    graph.reset_counters()
    with pytest.raises(TransientError):  # busy: this cycle gives up, the next asks again
        mailbox.draft_states({"t1": ref})
    assert all(e["path"].endswith("/messages/delta") for e in graph.log)
    graph.faults.clear()
    graph.reset_counters()
    assert mailbox.draft_states({"t1": ref})["t1"].state is MailboxState.OPEN
    assert graph.requests == 1  # the same deltaLink, asked again


def test_a_draft_that_lost_our_property_is_still_open_not_discarded(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    ref = mailbox.create_draft("s1", note("s1"))
    assert mailbox.draft_states({"s1": ref})["s1"].state is MailboxState.OPEN
    graph.drop_property(ME, ref.provider_id, PROPERTY_ID)
    graph.reset_counters()
    states = mailbox.draft_states({"s1": ref})
    assert states["s1"].state is MailboxState.OPEN
    assert graph.requests == 1  # reported as updated, still in Drafts: no $batch


def test_a_delta_that_keeps_failing_ends_the_call_with_one_clear_error(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps)
    sign_in(provider, authority)
    mailbox = provider.mailbox()
    ref = mailbox.create_draft("u1", note("u1"))
    graph.fail("GET", "mailFolders('drafts')", 500, times=1000)
    graph.reset_counters()
    with pytest.raises(TransientError) as caught:
        mailbox.draft_states({"u1": ref})
    assert "\n" not in str(caught.value) and "500" in str(caught.value)
    assert graph.requests <= 4  # the client's bounded retries, no listing behind them


def test_every_mail_request_and_batch_item_asks_for_immutable_ids(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    mailbox = provider.mailbox()
    refs = {k: mailbox.create_draft(k, note(k)) for k in ("i1", "i2")}
    assert len(mailbox.draft_states(refs)) == 2
    graph.user_deletes(ME, refs["i1"].provider_id)  # its regular id changes on the move
    sent = graph.user_sends(ME, refs["i2"].provider_id)
    states = mailbox.draft_states(refs)
    assert states["i1"].state is MailboxState.DISCARDED
    assert states["i2"].ref is not None and states["i2"].ref.provider_id == sent["id"]
    assert mailbox.find_draft("i2") == DraftRef(sent["id"], sent["internetMessageId"])
    assert graph.batch_log
    assert any("$deltatoken" in e["query"] for e in graph.log)
    for entry in [*graph.log, *graph.batch_log]:
        if entry["path"] not in ("/$batch", "/me"):
            assert 'IdType="ImmutableId"' in entry["prefer"], entry["path"]


def test_access_denied_on_tracking_names_the_permissions_instead_of_listing_everything(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    ref = provider.mailbox().create_draft("d1", note("d1"))
    graph.fail("GET", "/messages/delta", 403)
    graph.reset_counters()
    with pytest.raises(ProviderError, match=r"Mail\.ReadWrite"):
        provider.mailbox().draft_states({"d1": ref})
    assert graph.requests == 1
