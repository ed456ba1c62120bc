"""Gmail tracking between changes: one users.getProfile per cycle while the mailbox's
historyId stands still, a full drafts.list once it moves (or an hour has passed)."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any
from urllib.parse import urlencode

import pytest

from afterword.daemon.errors import ProviderError
from afterword.providers.base import DraftMailbox, DraftRef, DraftStatus, MailboxState
from afterword.providers.google.mail import RELIST_EVERY
from tests.fakes.google import FakeGoogle
from tests.google_env import DEFAULT_SCOPES, METADATA, google, make_provider

__all__ = ["google"]
TRACKING = [*DEFAULT_SCOPES, METADATA]
PROFILE, DRAFTS = "/gmail/v1/users/me/profile", "/gmail/v1/users/me/drafts"


class Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def note(key: str, to: str) -> bytes:
    """A thank-you draft carrying its key, as an earlier cycle wrote it."""
    msg = EmailMessage(policy=SMTP)
    msg["To"] = f"Someone <{to}>"
    msg["From"] = "alex@example.com"
    msg["Subject"] = "Thank you"
    msg["X-Afterword-Key"] = key
    msg.set_content("Thank you for your time today.\n")
    return msg.as_bytes()


def open_drafts(fake: FakeGoogle, count: int) -> dict[str, DraftRef]:
    """`count` notes waiting in Drafts: key → where they are."""
    refs = {}
    with fake.lock:
        for i in range(count):
            draft_id, msg = fake.mailbox.create_draft(note(f"k{i}", f"p{i}@acme.com"))
            refs[f"k{i}"] = DraftRef(draft_id, msg.thread_id)
    return refs


def mailbox(fake: FakeGoogle, *, track_sent: bool = False, seconds: Seconds | None = None,
            seed: bool = True) -> DraftMailbox:
    """A fresh GmailDrafts (a new process, as far as it knows)."""
    provider = make_provider(fake, scopes=TRACKING if track_sent else DEFAULT_SCOPES,
                             track_sent=track_sent, seed=seed,
                             extra={"google_monotonic": seconds or Seconds()})
    return provider.mailbox()


def paths(fake: FakeGoogle) -> list[str]:
    return [c.path for c in fake.requests]


def wire_bytes(fake: FakeGoogle) -> int:
    """What the bench counts: URLs and bodies both ways."""
    return sum(r.bytes_in + r.bytes_out + len(r.path) + len(urlencode(r.query, doseq=True))
               for r in fake.requests)


def states(statuses: Mapping[str, DraftStatus]) -> dict[str, MailboxState]:
    return {key: status.state for key, status in statuses.items()}


def test_an_idle_cycle_with_500_open_drafts_is_one_small_profile_request(google):
    refs = open_drafts(google, 500)
    box = mailbox(google)
    assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}
    # The first cycle of a process signs in and lists.
    assert paths(google) == ["/token", PROFILE, DRAFTS]
    for _ in range(3):
        google.reset_log()
        assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}
        (call,) = google.requests
        assert call.path == PROFILE and call.query["fields"] == ["historyId"]
        assert wire_bytes(google) < 200


@pytest.mark.parametrize("track_sent", [True, False])
def test_a_draft_the_user_sends_between_idle_cycles(google, track_sent):
    refs = open_drafts(google, 500)
    box = mailbox(google, track_sent=track_sent)
    box.draft_states(refs)
    box.draft_states(refs)
    google.user_send_draft(refs["k7"].provider_id)
    google.reset_log()
    statuses = box.draft_states(refs)
    expected = MailboxState.SENT if track_sent else MailboxState.GONE
    assert states(statuses) == {key: expected if key == "k7" else MailboxState.OPEN
                                for key in refs}
    if track_sent:
        assert statuses["k7"].sent_at is not None
    assert len(google.calls(path="/drafts$")) == 1
    assert len(google.calls(path="/profile$")) == 1  # also the start of history.list
    google.reset_log()
    del refs["k7"]  # the cycle closed it
    assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}
    assert paths(google) == [PROFILE]


@pytest.mark.parametrize("track_sent", [True, False])
def test_a_draft_the_user_deletes_between_idle_cycles(google, track_sent):
    refs = open_drafts(google, 20)
    box = mailbox(google, track_sent=track_sent)
    box.draft_states(refs)
    google.user_delete_draft(refs["k3"].provider_id)
    statuses = box.draft_states(refs)
    expected = MailboxState.DISCARDED if track_sent else MailboxState.GONE
    assert states(statuses) == {key: expected if key == "k3" else MailboxState.OPEN
                                for key in refs}


def test_new_mail_alone_relists_and_changes_nothing(google):
    refs = open_drafts(google, 20)
    box = mailbox(google)
    box.draft_states(refs)
    message_id = google.deliver()
    google.reset_log()
    assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}
    assert paths(google) == [PROFILE, DRAFTS]
    google.user_label(message_id, remove=("UNREAD",))  # the user reads it
    google.reset_log()
    assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}
    assert paths(google) == [PROFILE, DRAFTS]
    google.reset_log()
    box.draft_states(refs)
    assert paths(google) == [PROFILE]


def test_a_draft_moved_to_another_thread_while_idle_is_followed(google):
    refs = open_drafts(google, 3)
    box = mailbox(google)
    box.draft_states(refs)
    google.user_edit_draft(refs["k1"].provider_id, subject="Thanks again", new_thread=True)
    status = box.draft_states(refs)["k1"]
    assert status.state is MailboxState.OPEN and status.ref is not None
    assert status.ref.thread_id == google.mailbox.draft_message(refs["k1"].provider_id).thread_id


def test_our_own_new_draft_is_tracked_in_the_same_cycle(google):
    refs = open_drafts(google, 3)
    box = mailbox(google)
    box.draft_states(refs)
    msg = EmailMessage()
    msg["To"], msg["Subject"], msg["X-Afterword-Key"] = "bob@acme.com", "Thanks", "new"
    msg.set_content("Thank you.\n")
    refs["new"] = box.create_draft("new", msg)
    google.reset_log()
    assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}
    assert paths(google) == [PROFILE, DRAFTS]


def test_a_new_process_lists_from_scratch(google):
    refs = open_drafts(google, 20)
    mailbox(google).draft_states(refs)
    google.reset_log()
    again = mailbox(google, seed=False)  # same credentials, same unchanged mailbox
    assert set(states(again.draft_states(refs)).values()) == {MailboxState.OPEN}
    assert paths(google) == [PROFILE, DRAFTS]


def test_the_drafts_are_listed_again_every_hour_even_if_the_history_id_sticks(google):
    refs = open_drafts(google, 20)
    seconds = Seconds()
    box = mailbox(google, seconds=seconds)
    box.draft_states(refs)
    # A server quirk: the draft goes away and the historyId does not move.
    with google.lock:
        google.mailbox.drafts.pop(refs["k5"].provider_id)
    seconds.now += RELIST_EVERY - 1
    google.reset_log()
    assert states(box.draft_states(refs))["k5"] is MailboxState.OPEN  # trusted, as told
    assert paths(google) == [PROFILE]
    seconds.now += 1
    google.reset_log()
    assert states(box.draft_states(refs))["k5"] is MailboxState.GONE
    assert paths(google) == [PROFILE, DRAFTS]
    google.reset_log()
    box.draft_states(refs)
    assert paths(google) == [PROFILE]  # the hour starts again from that listing


def test_a_listing_that_failed_is_not_trusted(google):
    refs = open_drafts(google, 20)
    box = mailbox(google)
    google.fault("status", path="/drafts$", method="GET", status=400, reason="badRequest")
    with pytest.raises(ProviderError, match="400"):
        box.draft_states(refs)
    google.user_delete_draft(refs["k2"].provider_id)
    google.reset_log()
    assert states(box.draft_states(refs))["k2"] is MailboxState.GONE
    assert paths(google) == [PROFILE, DRAFTS]


def test_a_failed_profile_request_is_reported(google):
    refs = open_drafts(google, 3)
    box = mailbox(google)
    google.fault("status", path="/profile$", status=400, reason="badRequest")
    with pytest.raises(ProviderError, match="400"):
        box.draft_states(refs)
    assert not google.calls(path="/drafts$")  # nothing decided without the historyId
    assert set(states(box.draft_states(refs)).values()) == {MailboxState.OPEN}


# -- the fake keeps Gmail's historyId ---------------------------------------------------

def profile(fake: FakeGoogle, fields: str | None = None) -> dict[str, Any]:
    api = make_provider(fake, seed=False).api
    return api.call(api.gmail.users().getProfile(userId="me", fields=fields),
                    "users.getProfile")


def test_the_fake_moves_the_history_id_on_every_mailbox_change(google):
    make_provider(google)  # signs in
    box = mailbox(google, seed=False)
    seen = [profile(google, "historyId")["historyId"]]

    def moved() -> None:
        now = profile(google, "historyId")["historyId"]
        assert isinstance(now, str) and int(now) > int(seen[-1])
        seen.append(now)

    msg = EmailMessage()
    msg["To"], msg["Subject"], msg["X-Afterword-Key"] = "bob@acme.com", "Thanks", "k"
    msg.set_content("Thank you.\n")
    ref = box.create_draft("k", msg)
    moved()
    google.user_edit_draft(ref.provider_id, subject="Thanks!")
    moved()
    google.user_send_draft(ref.provider_id)
    moved()
    other = box.create_draft("k", msg)
    moved()
    google.user_delete_draft(other.provider_id)
    moved()
    message_id = google.deliver()
    moved()
    google.user_label(message_id, add=("STARRED",))
    moved()
    assert profile(google, "historyId")["historyId"] == seen[-1]  # nothing else moves it
    assert int(seen[0]) > 2**53  # a uint64, beyond what a float holds exactly


def test_the_fake_profile_honours_fields(google):
    make_provider(google)
    google.deliver()
    full = profile(google)
    assert set(full) == {"emailAddress", "messagesTotal", "threadsTotal", "historyId"}
    assert full["emailAddress"] == "alex@example.com" and full["messagesTotal"] == 1
    assert profile(google, "emailAddress,threadsTotal") == {
        "emailAddress": "alex@example.com", "threadsTotal": 1}
    assert profile(google, "historyId") == {"historyId": full["historyId"]}
