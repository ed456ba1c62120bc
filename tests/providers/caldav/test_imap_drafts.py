"""IMAP drafts against a real Dovecot: what the user sees in Drafts and Sent, and the cost."""

from __future__ import annotations

import email
import imaplib
import re
from datetime import UTC, datetime

import pytest

from afterword.daemon.errors import AuthExpired, TransientError
from afterword.daemon.model import KEY_HEADER
from afterword.providers.base import DraftRef, MailboxState
from afterword.providers.caldav.imap import ImapDrafts, ImapSettings
from tests.providers.caldav.servers import PASSWORD, USER, Dovecot
from tests.providers.caldav.wire import ImapRelay, relay


def note(key: str, to: str = "jane@acme.example") -> email.message.EmailMessage:
    """A composed note as the drafting code hands it over."""
    msg = email.message.EmailMessage()
    msg["From"] = "Alex Rivera <alex@example.com>"
    msg["To"] = to
    msg["Subject"] = "Thank you"
    msg["Message-ID"] = f"<{key}@afterword.test>"
    msg[KEY_HEADER] = key
    msg.set_content("Thank you for your time today.\n")
    return msg


def mailbox(port: int, password: str = PASSWORD) -> ImapDrafts:
    settings = ImapSettings(host="127.0.0.1", port=port, security="none", username=USER,
                            timeout=10)
    return ImapDrafts(settings, lambda: password, account="fastmail")


def folder(server: Dovecot, name: str) -> list[tuple[bytes, str]]:
    """(flags, key) of every message in a folder, as a mail client would list them."""
    imap = server.connect()
    try:
        imap.select(name, readonly=True)
        _typ, data = imap.fetch("1:*", f"(FLAGS BODY.PEEK[HEADER.FIELDS ({KEY_HEADER})])")
    except imaplib.IMAP4.error:
        return []
    finally:
        imap.logout()
    found = []
    for item in data:
        if isinstance(item, tuple):
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
            key = email.message_from_bytes(item[1]).get(KEY_HEADER, "")
            found.append((flags.group(1) if flags else b"", key))
    return found


def user_sends(server: Dovecot, key: str) -> None:
    """The mail client sends the draft: a copy lands in Sent, the draft is expunged."""
    imap = server.connect()
    imap.select("Drafts")
    _typ, (uids,) = imap.uid("SEARCH", "HEADER", KEY_HEADER, key)
    uid = uids.split()[0].decode()
    _typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = data[0][1]
    imap.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(datetime.now(UTC)), raw)
    imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.logout()


def user_deletes(server: Dovecot, key: str) -> None:
    """The user throws the draft away."""
    imap = server.connect()
    imap.select("Drafts")
    _typ, (uids,) = imap.uid("SEARCH", "HEADER", KEY_HEADER, key)
    imap.uid("STORE", uids.split()[0].decode(), "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.logout()


def test_a_draft_lands_in_drafts_flagged_draft_and_is_found_by_its_key(
        dovecot: Dovecot) -> None:
    box = mailbox(dovecot.port)
    ref = box.create_draft("k1", note("k1"))
    [(flags, key)] = folder(dovecot, "Drafts")
    assert key == "k1" and {b"\\Draft", b"\\Seen"} <= set(flags.split())
    assert box.find_draft("k1") == DraftRef(ref.provider_id, version=ref.provider_id)
    assert box.find_draft("other") is None
    assert ref.thread_id == "<k1@afterword.test>"


def test_sent_and_discarded_drafts_are_told_apart(dovecot: Dovecot) -> None:
    box = mailbox(dovecot.port)
    refs = {key: box.create_draft(key, note(key, f"{key}@acme.example"))
            for key in ("open", "sent", "gone")}
    states = box.draft_states(refs)
    assert {k: s.state for k, s in states.items()} == {k: MailboxState.OPEN for k in refs}
    user_sends(dovecot, "sent")
    user_deletes(dovecot, "gone")
    states = box.draft_states(refs)
    assert states["open"].state is MailboxState.OPEN
    assert states["sent"].state is MailboxState.SENT
    assert states["sent"].sent_at is not None and states["sent"].sent_at.tzinfo is not None
    assert states["gone"].state is MailboxState.DISCARDED
    assert [k for _f, k in folder(dovecot, "Drafts")] == ["open"]  # we touched nothing


def test_an_idle_check_is_four_commands_whatever_the_number_of_drafts(
        dovecot: Dovecot) -> None:
    """CAPABILITY (imaplib asks when the greeting does not say), LOGIN, STATUS, LOGOUT."""
    with relay(dovecot.port) as proxy:
        box = mailbox(proxy.port)
        refs = {f"k{n}": box.create_draft(f"k{n}", note(f"k{n}")) for n in range(30)}
        box.draft_states(refs)  # the first look reads the folder
        proxy.reset()
        for _ in range(3):
            states = box.draft_states(refs)
        assert all(s.state is MailboxState.OPEN for s in states.values())
        assert proxy.commands == ["CAPABILITY", "LOGIN", "STATUS", "LOGOUT"] * 3
        assert proxy.connections == 3
        user_deletes(dovecot, "k7")
        proxy.reset()
        states = box.draft_states(refs)
        assert states["k7"].state is MailboxState.DISCARDED
        assert proxy.commands[:3] == ["CAPABILITY", "LOGIN", "STATUS"]
        assert len(proxy.commands) <= 10


def test_a_lost_append_answer_never_makes_a_second_draft(dovecot: Dovecot) -> None:
    with relay(dovecot.port) as proxy:
        box = mailbox(proxy.port)
        proxy.lose_append_answer = 1
        ref = box.create_draft("k1", note("k1"))  # the answer is lost; the key finds it
        assert proxy.lost and proxy.commands.count("APPEND") == 1
        assert [k for _f, k in folder(dovecot, "Drafts")] == ["k1"]
        assert box.find_draft("k1") == DraftRef(ref.provider_id, version=ref.provider_id)


def test_an_append_that_never_landed_fails_and_the_retry_writes_one(
        dovecot: Dovecot) -> None:
    with relay(dovecot.port) as proxy:
        box = mailbox(proxy.port)
        proxy.close()  # the server is unreachable while drafting
        with pytest.raises(TransientError, match=r"account 'fastmail': IMAP 127\.0\.0\.1:\d+"):
            box.create_draft("k1", note("k1"))
    box = mailbox(dovecot.port)
    assert box.find_draft("k1") is None  # what the cycle asks before it retries
    box.create_draft("k1", note("k1"))
    assert [k for _f, k in folder(dovecot, "Drafts")] == ["k1"]


def test_a_wrong_password_is_needs_sign_in_in_one_line(dovecot: Dovecot) -> None:
    box = mailbox(dovecot.port, password="wrong")
    with pytest.raises(AuthExpired) as caught:
        box.draft_states({"k": DraftRef("1:1")})
    text = str(caught.value)
    assert "\n" not in text and "fastmail" in text and f"127.0.0.1:{dovecot.port}" in text
    assert "wrong" not in text and PASSWORD not in text


def test_a_server_that_is_down_is_a_transient_one_line_error(dovecot: Dovecot) -> None:
    dovecot.stop()
    with pytest.raises(TransientError) as caught:
        mailbox(dovecot.port).draft_states({"k": DraftRef("1:1")})
    assert "\n" not in str(caught.value) and f"IMAP 127.0.0.1:{dovecot.port}" in str(
        caught.value)


def test_a_moved_draft_is_followed_by_its_key(dovecot: Dovecot) -> None:
    """A mail client that re-saves an edited draft gives it a new UID: still open."""
    box = mailbox(dovecot.port)
    ref = box.create_draft("k1", note("k1"))
    imap = dovecot.connect()
    imap.select("Drafts")
    _typ, data = imap.fetch("1", "(BODY.PEEK[])")
    imap.append("Drafts", "(\\Draft)", None, data[0][1].replace(b"Thank you for",
                                                                 b"Many thanks for"))
    imap.store("1", "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.logout()
    status = box.draft_states({"k1": ref})["k1"]
    assert status.state is MailboxState.OPEN
    assert status.ref is not None and status.ref.provider_id != ref.provider_id


def test_a_relay_sees_no_password(dovecot: Dovecot) -> None:
    """Sanity of the relay itself: it counts commands, it does not keep their arguments."""
    with relay(dovecot.port) as proxy:
        assert isinstance(proxy, ImapRelay)
        mailbox(proxy.port).find_draft("x")
        assert "LOGIN" in proxy.commands and all(PASSWORD not in c for c in proxy.commands)


def test_a_replace_whose_answer_was_lost_leaves_exactly_the_new_text(
        dovecot: Dovecot) -> None:
    with relay(dovecot.port) as proxy:
        box = mailbox(proxy.port)
        ref = box.create_draft("k1", note("k1"))
        better = note("k1")
        better.replace_header("Subject", "Thank you, again")
        proxy.lose_append_answer = 1
        new = box.replace_draft(ref, "k1", better)
        assert proxy.lost and new.version != ref.version
        assert box.draft_version(new) == new.version
    imap = dovecot.connect()
    imap.select("Drafts", readonly=True)
    _typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    imap.logout()
    subjects = [item[1].decode().strip() for item in data if isinstance(item, tuple)]
    assert subjects == ["Subject: Thank you, again"]
