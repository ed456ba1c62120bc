"""The Microsoft provider: real msal and requests against the fake authority and fake Graph."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from afterword.daemon.config import AccountConfig
from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.daemon.model import EventStatus, Response
from afterword.daemon.secrets import KeyringSecrets
from afterword.providers.base import AuthOptions, MailboxState, ProviderContext, Window
from afterword.providers.microsoft import MicrosoftProvider
from afterword.providers.microsoft_auth import SCOPES
from afterword.providers.microsoft_mail import PROPERTY_ID

from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph

ME = "alex@contoso.com"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def authority() -> Iterator[FakeAuthority]:
    with FakeAuthority() as fake:
        fake.add_user(ME, "Alex Rivera")
        yield fake


@pytest.fixture
def graph(authority: FakeAuthority) -> Iterator[FakeGraph]:
    with FakeGraph(authority) as fake:
        yield fake


def account(authority: FakeAuthority, graph: FakeGraph, name: str = "work",
            **extra: Any) -> AccountConfig:
    """A microsoft account pointing at the fakes."""
    extra.setdefault("calendars", ())
    return AccountConfig(name=name, provider="microsoft", client_id=authority.client_id,
                         authority=authority.authority_url(), graph_endpoint=graph.base,
                         **extra)


def make_provider(authority: FakeAuthority, graph: FakeGraph, clock: Clock | None = None,
                  sleeps: list[float] | None = None, **extra: Any) -> MicrosoftProvider:
    """A provider with the fakes' CA, a recorded sleep and the keyring credential store."""
    seams: dict[str, object] = {"ca_bundle": str(authority.ca_path),
                                "sleep": (sleeps.append if sleeps is not None else
                                          lambda _s: None)}
    if "timeout" in extra:
        seams["timeout"] = extra.pop("timeout")
    context = ProviderContext(timezone=ZoneInfo("Europe/Berlin"),
                              my_emails=("alex@example.com",), secrets=KeyringSecrets(),
                              clock=clock or Clock(NOW), extra=seams)
    return MicrosoftProvider(account(authority, graph, **extra), context)


def sign_in(provider: MicrosoftProvider, authority: FakeAuthority, email: str = ME) -> str:
    """The device code flow, approved as soon as the code is shown."""
    def say(message: str) -> None:
        authority.approve(authority.pending_user_code(), email)
    return provider.authorize(AuthOptions(say=say))


@pytest.fixture
def provider(authority: FakeAuthority, graph: FakeGraph) -> MicrosoftProvider:
    p = make_provider(authority, graph)
    sign_in(p, authority)
    return p


def window(now: datetime = NOW) -> Window:
    return Window(now - timedelta(days=8), now + timedelta(days=14))


def person(name: str, email: str, kind: str = "required",
           response: str = "accepted") -> dict[str, Any]:
    return {"type": kind, "status": {"response": response, "time": "2026-11-20T10:00:00Z"},
            "emailAddress": {"name": name, "address": email}}


PANEL = [person("Jane Doe", "jane@acme.com"), person("Raj Patel", "raj@acme.com"),
         person("Board Room 4", "room4@acme.com", kind="resource", response="none"),
         person("Alex Rivera", ME)]


def note(key: str, to: str = "Jane Doe <jane@acme.com>", html: bool = False,
         due: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = "Thank you for today"
    msg["X-Afterword-Key"] = key
    if due:
        msg["X-Afterword-Send-By"] = due
    msg.set_content("Dear Jane,\n\nThank you.\n")
    if html:
        msg.add_alternative("<p>Dear Jane,</p><p>Thank you.</p>", subtype="html")
    return msg


# -- sign-in ---------------------------------------------------------------------------


def test_device_code_sign_in_waits_for_approval_and_stores_the_cache(
        authority: FakeAuthority, graph: FakeGraph, memory_keyring: Any) -> None:
    provider = make_provider(authority, graph)
    shown: list[str] = []

    def say(message: str) -> None:
        shown.append(message)

        def approve_later() -> None:
            authority.wait_for_polls(1)  # msal saw authorization_pending at least once
            authority.approve(authority.pending_user_code(), ME)
        threading.Thread(target=approve_later, daemon=True).start()

    line = provider.authorize(AuthOptions(say=say))

    assert line == f"account 'work': signed in as {ME}; credentials stored"
    assert "enter the code" in shown[0] and authority.base in shown[0]
    assert authority.polls >= 2
    stored = memory_keyring.passwords[("afterword", "work")]
    assert "RefreshToken" in stored
    # Least privilege: the scopes asked for, and never Mail.Send.
    assert SCOPES == ["Calendars.Read", "Mail.ReadWrite", "User.Read"]
    # A non-default authority is used as is: only our fake was asked, discovery included.
    paths = [p for _m, p, _g in authority.log]
    assert "/common/v2.0/.well-known/openid-configuration" in paths
    assert "/common/oauth2/v2.0/devicecode" in paths


def test_an_unknown_app_fails_sign_in_with_a_clear_error(authority: FakeAuthority,
                                                        graph: FakeGraph) -> None:
    from dataclasses import replace

    provider = make_provider(authority, graph)
    wrong = MicrosoftProvider(replace(provider.account, client_id="not-registered"),
                              provider.context)
    with pytest.raises(ProviderError) as caught:
        wrong.authorize(AuthOptions(say=lambda _m: None))
    assert "account 'work': sign-in could not start: unauthorized_client" in str(caught.value)


def test_expired_access_token_is_refreshed_once_and_the_rolled_cache_saved(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider,
        memory_keyring: Any) -> None:
    before = memory_keyring.passwords[("afterword", "work")]
    authority.expire_access_tokens()  # msal still believes its token is good
    graph.reset_counters()

    provider.calendar().changes(window(), None)

    assert authority.grants("refresh_token") == 1
    assert [e["status"] for e in graph.log[:2]] == [401, 200]
    after = memory_keyring.passwords[("afterword", "work")]
    assert after != before
    # A new process starts from the stored cache: the rolled refresh token works.
    authority.expire_access_tokens()
    fresh = make_provider(authority, graph)
    fresh.calendar().changes(window(), None)
    assert authority.grants("refresh_token") == 2


def test_revoked_sign_in_is_auth_expired_naming_the_account(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider) -> None:
    authority.revoke(ME)
    with pytest.raises(AuthExpired) as caught:
        provider.calendar().changes(window(), None)
    assert caught.value.account == "work"
    assert "afterword auth work" in str(caught.value)
    assert "invalid_grant" in str(caught.value)


def test_an_unavailable_token_endpoint_is_transient_not_a_lost_sign_in(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider) -> None:
    authority.expire_access_tokens()
    authority.token_failures = 1
    with pytest.raises(TransientError) as caught:
        provider.calendar().changes(window(), None)
    assert not isinstance(caught.value, AuthExpired)
    # msal replays the failure for a while; a later cycle (here: a new process) recovers.
    assert make_provider(authority, graph).calendar().changes(window(), None).full


def test_the_mailbox_address_is_the_user_even_when_it_is_not_the_sign_in_name(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    graph.primary_address[ME] = "alex.rivera@contoso.com"
    sign_in(make_provider(authority, graph), authority)
    event_id = graph.add_event(ME, "Interview", NOW + timedelta(days=1), attendees=[
        person("Jane Doe", "jane@acme.com"), person("Alex", "alex.rivera@contoso.com"),
        person("Alex R", ME)])
    fresh = make_provider(authority, graph)  # a new process: the address comes stored
    graph.reset_counters()
    [event] = fresh.calendar().changes(window(), None).events
    assert event.id == event_id
    assert [a.email for a in event.attendees if a.is_self] == ["alex.rivera@contoso.com", ME]
    assert fresh.address() == "alex.rivera@contoso.com"
    assert "/me" not in [e["path"] for e in graph.log]


def test_no_credentials_is_auth_expired_and_check_says_so(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    provider = make_provider(authority, graph)
    assert provider.check() == ["not signed in: run `afterword auth work`"]
    with pytest.raises(AuthExpired):
        provider.mailbox().find_draft("k")


def test_imported_cache_and_address_from_me_once(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider,
        memory_keyring: Any, tmp_path: Path) -> None:
    # `afterword auth work --from-file`: a bare msal cache made elsewhere.
    exported = json.loads(memory_keyring.passwords.pop(("afterword", "work")))["msal_cache"]
    (tmp_path / "cache.json").write_text(exported)
    fresh = make_provider(authority, graph)
    graph.reset_counters()
    line = fresh.authorize(AuthOptions(from_file=str(tmp_path / "cache.json")))
    assert line == f"account 'work': signed in as {ME}; credentials stored"
    assert fresh.address() == ME
    assert make_provider(authority, graph).address() == ME  # remembered with the cache
    assert [e["path"] for e in graph.log] == ["/me"]
    (tmp_path / "junk.json").write_text("hello")
    with pytest.raises(ProviderError, match="not an msal token cache"):
        fresh.authorize(AuthOptions(from_file=str(tmp_path / "junk.json")))
    with pytest.raises(ProviderError, match="cannot read"):
        fresh.authorize(AuthOptions(from_file=str(tmp_path / "missing.json")))


# -- calendar --------------------------------------------------------------------------


def test_full_round_then_an_idle_cycle_is_one_small_request(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    for i in range(120):
        graph.add_event(ME, f"Meeting {i}", NOW - timedelta(days=3) + timedelta(hours=i))
    graph.add_event(ME, "Far away", NOW + timedelta(days=60))
    calendar = provider.calendar()

    first = calendar.changes(window(), None)
    assert first.full and len(first.events) == 120
    assert all(e.start.tzinfo is not None for e in first.events)
    graph.reset_counters()

    idle = calendar.changes(window(), first.cursor)

    assert not idle.full and idle.events == () and idle.removed == ()
    assert graph.requests == 1
    assert graph.bytes_out < 600
    assert graph.log[0]["path"] == "/me/calendarView/delta"
    assert "$deltatoken" in graph.log[0]["query"]


def test_delta_applies_changes_cancellations_and_removals(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    keep = graph.add_event(ME, "Coffee", NOW + timedelta(days=1))
    gone = graph.add_event(ME, "Interview - Acme", NOW + timedelta(days=2), attendees=PANEL)
    off = graph.add_event(ME, "Phone screen", NOW + timedelta(days=3), attendees=PANEL)
    moved = graph.add_event(ME, "Onsite", NOW + timedelta(days=4), attendees=PANEL)
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor

    graph.update_event(ME, keep, subject="Coffee chat", categories=["Interview"])
    graph.delete_event(ME, gone)
    graph.update_event(ME, off, isCancelled=True)
    graph.update_event(ME, moved, start=NOW + timedelta(days=90),
                       end=NOW + timedelta(days=90, hours=1))
    changes = calendar.changes(window(), cursor)

    assert not changes.full
    assert [(e.id, e.title, e.categories) for e in changes.events] == [
        (keep, "Coffee chat", ("Interview",))]
    assert set(changes.removed) == {gone, off, moved}


def test_occurrences_are_read_in_full_through_batch_with_item_retry(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    sleeps: list[float] = []
    provider = make_provider(authority, graph, sleeps=sleeps)
    sign_in(provider, authority)
    ids = [graph.add_event(ME, f"Weekly interview loop {i}", NOW + timedelta(days=i),
                           attendees=PANEL, type="occurrence", seriesMasterId="SERIES1")
           for i in range(1, 4)]
    graph.fail("GET", ids[1], 429, in_batch=True, retry_after=3)

    changes = provider.calendar().changes(window(), None)

    by_id = {e.id: e for e in changes.events}
    assert set(by_id) == set(ids)
    assert by_id[ids[1]].series_id == "SERIES1"
    assert [a.email for a in by_id[ids[1]].attendees][:2] == ["jane@acme.com", "raj@acme.com"]
    batches = [e for e in graph.log if e["path"] == "/$batch"]
    assert len(batches) == 2  # the throttled item alone was asked again
    assert sleeps == [3]


def test_batch_item_refusals_skip_one_event_and_missing_ones_count_as_removed(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor
    ids = [graph.add_event(ME, f"Interview loop {i}", NOW + timedelta(days=i),
                           attendees=PANEL, type="occurrence", seriesMasterId="S")
           for i in range(1, 4)]
    graph.fail("GET", ids[0], 403, in_batch=True)
    graph.fail("GET", ids[1], 404, in_batch=True)

    changes = calendar.changes(window(), cursor)

    assert [e.id for e in changes.events] == [ids[2]]
    assert ids[1] in changes.removed and ids[0] not in changes.removed

    graph.fail("GET", ids[2], 503, in_batch=True, times=10)
    graph.update_event(ME, ids[2], subject="Final interview loop")
    with pytest.raises(TransientError):  # the cursor is not advanced past it
        calendar.changes(window(), changes.cursor)


def test_configured_calendars_are_each_followed(authority: FakeAuthority,
                                                graph: FakeGraph) -> None:
    provider = make_provider(authority, graph, calendars=("team", "jobs"))
    sign_in(provider, authority)
    graph.add_event(ME, "Team sync", NOW + timedelta(days=1), calendar="team")
    graph.add_event(ME, "Interview", NOW + timedelta(days=1), calendar="jobs")
    graph.add_event(ME, "Private", NOW + timedelta(days=1))  # the default calendar
    calendar = provider.calendar()
    first = calendar.changes(window(), None)
    assert sorted(e.title for e in first.events) == ["Interview", "Team sync"]
    graph.reset_counters()
    calendar.changes(window(), first.cursor)
    assert sorted(e["path"] for e in graph.log) == [
        "/me/calendars/jobs/calendarView/delta", "/me/calendars/team/calendarView/delta"]


def test_expired_sync_state_starts_a_new_full_round(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    graph.add_event(ME, "Interview", NOW + timedelta(days=1))
    calendar = provider.calendar()
    cursor = calendar.changes(window(), None).cursor
    graph.expire_sync_state()

    changes = calendar.changes(window(), cursor)

    assert changes.full and len(changes.events) == 1
    assert [e["status"] for e in graph.log if "delta" in e["path"]][-2:] == [410, 200]


def test_the_window_slides_with_a_new_round_each_day(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    clock = Clock(NOW)
    provider = make_provider(authority, graph, clock=clock)
    sign_in(provider, authority)
    later = graph.add_event(ME, "Final interview", NOW + timedelta(days=14, hours=12))
    calendar = provider.calendar()
    first = calendar.changes(window(), None)
    assert later in {e.id for e in first.events}  # the round reaches a day past the window

    clock.now = NOW + timedelta(hours=6)
    assert not calendar.changes(window(clock.now), first.cursor).full
    clock.now = NOW + timedelta(days=1, hours=1)
    graph.reset_counters()
    again = calendar.changes(window(clock.now), first.cursor)
    assert again.full
    assert "startDateTime" in graph.log[0]["query"]


def test_prefer_utc_and_paging_on_every_calendar_request(
        provider: MicrosoftProvider, graph: FakeGraph) -> None:
    for i in range(250):
        graph.add_event(ME, f"Event {i}", NOW - timedelta(days=2) + timedelta(minutes=30 * i))
    provider.calendar().changes(window(), None)
    deltas = [e for e in graph.log if "calendarView" in e["path"]]
    assert len(deltas) == 3  # 100 per page
    assert all('outlook.timezone="UTC"' in e["prefer"] for e in deltas)


def test_graph_event_translation(provider: MicrosoftProvider, graph: FakeGraph) -> None:
    start = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    event_id = graph.add_event(
        ME, "Interview: Staff Engineer at Acme", start, 90, attendees=PANEL,
        organizer=("Jane Doe", "jane@acme.com"), categories=["Interview"],
        responseStatus={"response": "tentativelyAccepted", "time": "2026-11-20T10:00:00Z"},
        onlineMeeting={"joinUrl": "https://teams.microsoft.com/l/meetup-join/abc"},
        location={"displayName": "Acme HQ"}, hideAttendees=False,
        body={"contentType": "html", "content": "<p>Interviewers: Jane &amp; Raj</p>"})
    event = provider.calendar().get_event(event_id)
    assert event is not None
    assert (event.start, event.end) == (start, start + timedelta(minutes=90))
    assert event.title == "Interview: Staff Engineer at Acme"
    assert event.categories == ("Interview",)
    assert event.my_response is Response.TENTATIVE
    assert event.video_link == "https://teams.microsoft.com/l/meetup-join/abc"
    assert event.location == "Acme HQ"
    assert "Jane & Raj" in event.description
    room = next(a for a in event.attendees if a.email == "room4@acme.com")
    assert room.is_resource
    me = next(a for a in event.attendees if a.email == ME)
    assert me.is_self  # the signed-in account's own address, not only me.emails
    jane = next(a for a in event.attendees if a.email == "jane@acme.com")
    assert jane.is_organizer and jane.name == "Jane Doe"
    assert event.organizer is not None and event.organizer.email == "jane@acme.com"

    graph.update_event(ME, event_id, isCancelled=True)
    assert provider.calendar().get_event(event_id) is None
    graph.delete_event(ME, event_id)
    assert provider.calendar().get_event(event_id) is None


def test_times_in_a_windows_zone_are_understood() -> None:
    from afterword.providers.microsoft_calendar import _to_event

    data = {"id": "x", "subject": "Interview", "attendees": [],
            "start": {"dateTime": "2026-11-27T09:00:00.0000000",
                      "timeZone": "Pacific Standard Time"},
            "end": {"dateTime": "2026-11-27T10:00:00.0000000",
                    "timeZone": "Pacific Standard Time"}}
    event = _to_event(data, "work", "default", ZoneInfo("Europe/Berlin"), set())
    assert event.start == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert event.organizer is None and event.my_response is Response.UNKNOWN


def test_hidden_attendees_all_day_and_status(provider: MicrosoftProvider,
                                             graph: FakeGraph) -> None:
    day = datetime(2026, 11, 28, tzinfo=ZoneInfo("Europe/Berlin"))
    event_id = graph.add_event(ME, "Onsite interview day", day, 24 * 60, isAllDay=True,
                               hideAttendees=True, showAs="oof", isCancelled=True)
    changes = provider.calendar().changes(window(), None)
    event = next(e for e in changes.events if e.id == event_id)
    assert event.all_day and event.start == day
    assert event.attendees_hidden
    assert event.status is EventStatus.CANCELLED
    assert event.event_type == "outOfOffice"


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
    assert draft["_props"][PROPERTY_ID.lower()]["value"] == "k1"
    assert draft["internetMessageHeaders"] == [{"name": "x-afterword-key", "value": "k1"}]
    assert draft["flag"] == {"flagStatus": "notFlagged"}
    assert mailbox.find_draft("k1") == ref
    assert mailbox.find_draft("other") is None


def test_plain_text_draft_and_flag_with_deadline(authority: FakeAuthority,
                                                 graph: FakeGraph) -> None:
    provider = make_provider(authority, graph, flag_drafts=True)
    sign_in(provider, authority)
    provider.mailbox().create_draft("k2", note("k2", due="Sat, 28 Nov 2026 15:00:00 +0000"))
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
    assert graph.requests == 2  # the listing, then one $batch for the three that left


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
    graph.fail("GET", "mailFolders('drafts')", 400)  # no filter on property presence
    graph.fail("GET", "outbox", 400, in_batch=True)
    graph.fail("GET", "internetMessageId", 400, in_batch=True)
    graph.reset_counters()
    states = mailbox.draft_states(refs)
    assert states["e"].state is MailboxState.OPEN
    assert states["f"].state is MailboxState.DISCARDED
    assert "$filter" not in graph.log[1]["query"]  # the fallback listing

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
    provider = make_provider(authority, graph, timeout=(2.0, 0.3))
    sign_in(provider, authority)
    graph.fail("GET", "/me/mailFolders", delay=1.0)
    assert provider.mailbox().find_draft("x") is None
    assert len([e for e in graph.log if "mailFolders" in e["path"]]) == 3  # slow, drafts, sent


def test_the_daemon_core_never_imports_msal_or_requests() -> None:
    import subprocess
    import sys

    code = ("import sys, afterword.daemon.cli, afterword.daemon.cycle, afterword.daemon.app, "
            "afterword.providers.local; "
            "print(sorted(m for m in ('msal', 'requests') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
