"""Gmail drafts through the real google-api-python-client against the loopback fake."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.providers.base import MailboxState
from tests.fakes.google import FakeGoogle
from tests.google_env import DEFAULT_SCOPES, METADATA, google, make_provider

__all__ = ["google"]
TRACKING = [*DEFAULT_SCOPES, METADATA]


def note(key: str, to: str = "jane@acme.com", name: str = "Jane Doe") -> EmailMessage:
    """A draft as daemon/compose.py builds it."""
    msg = EmailMessage(policy=SMTP)
    msg["To"] = f"{name} <{to}>"
    msg["From"] = "Alex Rivera <alex@example.com>"
    msg["Subject"] = "Thank you for today's interview"
    msg["X-Afterword-Key"] = key
    msg.set_content(f"Dear {name.split()[0]},\n\nThank you for your time today.\n")
    return msg


def test_create_draft_stores_the_raw_message_as_json(google):
    box = make_provider(google).mailbox()
    ref = box.create_draft("k1", note("k1"))
    stored = google.drafts()[ref.provider_id]
    assert stored["To"] == "Jane Doe <jane@acme.com>"
    assert stored["X-Afterword-Key"] == "k1"
    assert "Thank you for your time" in stored.get_body(("plain",)).get_content()
    assert ref.thread_id == google.mailbox.draft_message(ref.provider_id).thread_id
    (call,) = google.calls("POST", "^/gmail/")
    assert call.path == "/gmail/v1/users/me/drafts"  # the JSON body, not a media upload
    assert call.bytes_in > len(base64.urlsafe_b64encode(note("k1").as_bytes()))


def test_one_profile_and_one_drafts_list_track_every_draft(google):
    box = make_provider(google).mailbox()
    refs = {f"k{i}": box.create_draft(f"k{i}", note(f"k{i}", f"p{i}@acme.com"))
            for i in range(3)}
    for _ in range(600):  # the user's own drafts: more than one page
        google.mailbox.create_draft(b"Subject: mine\r\n\r\nhello\r\n")
    google.user_edit_draft(refs["k0"].provider_id, subject="Thanks!")
    google.user_send_draft(refs["k1"].provider_id)
    google.user_delete_draft(refs["k2"].provider_id)
    google.reset_log()
    states = box.draft_states(refs)
    assert {k: s.state for k, s in states.items()} == {
        "k0": MailboxState.OPEN, "k1": MailboxState.GONE, "k2": MailboxState.GONE}
    # The mailbox changed since this process last listed (never): the historyId, then
    # every page of drafts.
    assert [c.path for c in google.requests] == [
        "/gmail/v1/users/me/profile", "/gmail/v1/users/me/drafts", "/gmail/v1/users/me/drafts"]
    assert google.requests[0].query["fields"] == ["historyId"]
    assert google.requests[1].query["maxResults"] == ["500"]


def test_a_draft_moved_to_another_thread_is_followed(google):
    box = make_provider(google).mailbox()
    ref = box.create_draft("k", note("k"))
    google.user_edit_draft(ref.provider_id, subject="New subject", new_thread=True)
    status = box.draft_states({"k": ref})["k"]
    assert status.state is MailboxState.OPEN and status.ref is not None
    assert status.ref.thread_id == google.mailbox.draft_message(ref.provider_id).thread_id
    assert status.ref.thread_id != ref.thread_id


def test_track_sent_tells_sent_from_discarded(google):
    box = make_provider(google, scopes=TRACKING, track_sent=True).mailbox()
    sent = box.create_draft("sent", note("sent"))
    bare = box.create_draft("bare", note("bare", "bob@acme.com"))
    gone = box.create_draft("gone", note("gone", "eve@acme.com"))
    kept = box.create_draft("kept", note("kept", "kim@acme.com"))
    google.user_send_draft(sent.provider_id)
    google.user_send_draft(bare.provider_id, drop_custom_headers=True)
    google.user_delete_draft(gone.provider_id)
    google.reset_log()
    states = box.draft_states({"sent": sent, "bare": bare, "gone": gone, "kept": kept})
    assert states["sent"].state is MailboxState.SENT and states["sent"].sent_at is not None
    assert states["bare"].state is MailboxState.SENT
    assert states["gone"].state is MailboxState.DISCARDED
    assert states["kept"].state is MailboxState.OPEN
    assert len(google.calls(path="/drafts$")) == 1
    assert len(google.calls(path="/profile$")) == 1  # also where history.list would start
    assert len(google.calls(path="/threads/")) == 3  # only for the drafts that left
    assert all(c.query["format"] == ["metadata"] for c in google.calls(path="/threads/"))


def test_track_sent_without_the_scope_says_gone(google):
    box = make_provider(google, track_sent=True).mailbox()  # signed in before track_sent
    ref = box.create_draft("k", note("k"))
    google.user_send_draft(ref.provider_id)
    assert box.draft_states({"k": ref})["k"].state is MailboxState.GONE
    assert not google.calls(path="/threads/")


def test_find_draft_reads_each_draft_once(google):
    first = make_provider(google).mailbox()
    ref = first.create_draft("wanted", note("wanted"))
    first.create_draft("other", note("other", "bob@acme.com"))
    box = make_provider(google, seed=False).mailbox()  # a new process after a crash
    assert box.find_draft("wanted") == ref  # same draft, same message: same version
    assert box.find_draft("missing") is None
    gets = google.calls("GET", r"/drafts/[^/]+$")
    assert len(gets) == 2 and all(g.query["format"] == ["metadata"] for g in gets)
    assert "q" not in google.calls("GET", "/drafts$")[0].query


@pytest.mark.parametrize("kind", ["commit_then_status", "commit_then_drop", "slow"])
def test_a_lost_answer_on_create_never_makes_two_drafts(google: FakeGoogle, kind: str):
    box = make_provider(google, scopes=TRACKING).mailbox()
    google.fault(kind, method="POST", path="/drafts$", status=500, delay=3.0)
    ref = box.create_draft("k", note("k"))
    assert list(google.drafts()) == [ref.provider_id]
    assert len(google.calls("POST", "^/gmail/")) == 1


def test_a_create_refused_before_storing_is_reported_and_can_be_retried(google):
    box = make_provider(google).mailbox()
    google.fault("status", method="POST", path="/drafts$", status=503)
    with pytest.raises(TransientError):
        box.create_draft("k", note("k"))
    assert google.drafts() == {}
    assert box.find_draft("k") is None
    box.create_draft("k", note("k"))
    assert len(google.drafts()) == 1


def test_a_throttled_create_waits_as_told_and_retries(google):
    provider = make_provider(google)
    google.fault("status", method="POST", path="/drafts$", status=429, retry_after="7")
    provider.mailbox().create_draft("k", note("k"))
    assert len(google.drafts()) == 1
    assert provider.sleeps == [7.0]  # type: ignore[attr-defined]


def test_address_comes_from_the_profile_once(google):
    provider = make_provider(google)
    assert provider.address() == "alex@example.com"
    assert provider.address() == "alex@example.com"
    assert len(google.calls(path="/profile$")) == 1


def test_the_fake_enforces_gmail_scopes(google):
    """gmail.compose cannot read threads; with gmail.metadata, `q` and format=full fail."""
    compose = make_provider(google).api
    with pytest.raises(AuthExpired, match="scope"):
        compose.call(compose.gmail.users().threads().get(userId="me", id="t1"), "threads.get")
    ref = make_provider(google).mailbox().create_draft("k", note("k"))
    metadata = make_provider(google, scopes=TRACKING).api
    with pytest.raises(ProviderError, match="403"):
        metadata.call(metadata.gmail.users().drafts().list(userId="me", q="subject:x"),
                      "drafts.list")
    with pytest.raises(ProviderError, match="403"):
        metadata.call(metadata.gmail.users().drafts().get(userId="me", id=ref.provider_id),
                      "drafts.get")


def test_a_draft_sent_from_another_thread_is_found_in_history(google):
    box = make_provider(google, scopes=TRACKING, track_sent=True).mailbox()
    ref = box.create_draft("k", note("k"))
    other = box.create_draft("other", note("other", "bob@acme.com"))
    assert box.draft_states({"k": ref})["k"].state is MailboxState.OPEN
    # Between two polls: the subject edit moves the draft, then the user sends it.
    google.user_edit_draft(ref.provider_id, subject="Thanks again", new_thread=True)
    google.user_send_draft(ref.provider_id)
    google.user_send_draft(other.provider_id)
    status = box.draft_states({"k": ref})["k"]
    assert status.state is MailboxState.SENT and status.sent_at is not None
    assert google.calls(path="/history$")
