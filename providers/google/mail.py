"""Gmail v1 drafts: create (never send), find again after a crash, and track in one listing.

- `drafts.create` takes the whole RFC 2822 message as base64url `raw` in a JSON body (a
  media upload would go to https://<endpoint>/upload even for a plain-http endpoint).
  It is sent exactly once; when the answer is lost (timeout, dropped connection, 5xx)
  the drafts are searched for our key header before anything is written again.
- Gmail search has no operator for arbitrary headers, and `q` is refused once
  gmail.metadata is granted, so `find_draft` lists the drafts and reads each one's key
  header (`format=metadata`, allowed with gmail.compose; drafts.get has no
  metadataHeaders filter, `fields` keeps the answer to the headers), newest first, stopping at the
  first match and remembering what it read. It only runs after a failed attempt.
- `draft_states` costs one `users.getProfile` (`fields=historyId`, 1 quota unit, allowed
  with gmail.compose) per cycle, whatever the number of drafts. Every mailbox change
  Gmail records in its history (mail in or out, labels, a draft created, saved, sent or
  deleted) moves the mailbox historyId forward, so while it equals the one read just
  before this process's last full listing, the drafts are as that listing said. When it
  moved (or an hour has passed on the monotonic clock, in case it ever sticks) the
  drafts are listed again (`drafts.list`, paged, 500 per page): a tracked draft no longer
  listed was sent or deleted. The historyId is an opaque uint64 string: only equality is
  used. With `track_sent` (gmail.metadata) the draft's thread tells which: a SENT message
  there means sent, and when; failing that, a SENT message carrying our key in the
  history since tracking began in this process (the same getProfile answer gives that
  start; the draft may have changed threads before it was sent).
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from afterword.daemon.errors import ProviderError
from afterword.daemon.model import KEY_HEADER
from afterword.providers.base import (
    DraftMailbox,
    DraftRef,
    DraftStatus,
    MailboxState,
    MaybeApplied,
    NotFound,
)
from afterword.providers.google.auth import missing_scopes
from afterword.providers.google.http import GoogleApi

log = logging.getLogger(__name__)

_LIST_FIELDS = "nextPageToken,drafts(id,message(id,threadId))"
_PAGE = 500
# Relist at least this often (seconds) even when the historyId says nothing changed.
RELIST_EVERY = 3600.0


class GmailDrafts(DraftMailbox):
    """The Drafts of one Gmail account."""

    def __init__(self, api: GoogleApi, *, account: str, track_sent: bool,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self.account = account
        self.track_sent = track_sent
        self._monotonic = monotonic
        # The last full listing in this process (draft id → thread id), the mailbox
        # historyId read just before it, and when it was taken (monotonic seconds).
        self._listing: dict[str, str] | None = None
        self._listing_history: str | None = None
        self._listed_at = 0.0
        # draft id → (message id, key header or "") already read by find_draft.
        self._seen: dict[str, tuple[str, str]] = {}
        self._warned_scope = False
        # Gmail history id when tracking began in this process (track_sent only), and
        # SENT message id → (key header or "", internalDate) already read from history.
        self._history_start: str | None = None
        self._sent_seen: dict[str, tuple[str, Any]] = {}

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """drafts.create with the raw message; a lost answer is resolved by looking."""
        if message.get(KEY_HEADER) != key:
            raise ProviderError(f"draft {key}: the message does not carry its key header")
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        # The historyId moves with a new draft anyway; forgetting the listing as soon as
        # one may be stored does not depend on Gmail showing that at once.
        self._listing = None
        request = self.api.drafts.create(
            userId="me", body={"message": {"raw": raw}}, fields="id,message(id,threadId)")
        try:
            created = self.api.call(request, "drafts.create", idempotent=False,
                                    http=self.api.oneshot_http())
        except MaybeApplied:
            found = self.find_draft(key)
            if found is not None:
                log.info("account %s: draft %s was stored despite the error", self.account,
                         key)
                return found
            raise
        draft_id = created.get("id")
        if not isinstance(draft_id, str) or not draft_id:
            raise ProviderError("drafts.create: the answer has no draft id")
        return _ref(draft_id, created.get("message"))

    def find_draft(self, key: str) -> DraftRef | None:
        """The draft whose X-Afterword-Key header is `key` (reads each draft once)."""
        for draft_id, message_id, thread_id in self._list():
            seen = self._seen.get(draft_id)
            if seen is None or seen[0] != message_id:
                seen = (message_id, self._key_of(draft_id))
                self._seen[draft_id] = seen
            if seen[1] == key:
                return DraftRef(draft_id, thread_id or None, version=message_id or None)
        return None

    def _key_of(self, draft_id: str) -> str:
        try:
            draft = self.api.call(self.api.drafts.get(
                userId="me", id=draft_id, format="metadata",
                fields="id,message(id,payload/headers)"), "drafts.get")
        except NotFound:
            return ""  # deleted meanwhile
        headers = ((draft.get("message") or {}).get("payload") or {}).get("headers") or ()
        for header in headers:
            if isinstance(header, dict) and str(header.get("name", "")).lower() == \
                    KEY_HEADER.lower():
                return str(header.get("value", "")).strip()
        return ""

    def _list(self) -> Iterator[tuple[str, str, str]]:
        """(draft id, message id, thread id) of every draft, paging through drafts.list."""
        page_token: str | None = None
        while True:
            page = self.api.call(self.api.drafts.list(
                userId="me", maxResults=_PAGE, pageToken=page_token, fields=_LIST_FIELDS),
                "drafts.list")
            for draft in page.get("drafts") or ():
                if not isinstance(draft, dict) or not isinstance(draft.get("id"), str):
                    continue
                message = draft.get("message") or {}
                yield draft["id"], str(message.get("id", "")), str(message.get("threadId", ""))
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def draft_version(self, ref: DraftRef) -> str | None:
        """The draft's message id: Gmail gives a draft a new message each time it is saved."""
        try:
            draft = self.api.call(self.api.drafts.get(
                userId="me", id=ref.provider_id, format="minimal", fields="message/id"),
                "drafts.get")
        except NotFound:
            return None
        message_id = (draft.get("message") or {}).get("id")
        return message_id if isinstance(message_id, str) else None

    def replace_draft(self, ref: DraftRef, key: str, message: EmailMessage,
                      send_by: datetime | None = None) -> DraftRef:
        """drafts.update: the same draft, its message replaced in one request (repeating
        it writes the same content again, so a lost answer is simply retried)."""
        if message.get(KEY_HEADER) != key:
            raise ProviderError(f"draft {key}: the message does not carry its key header")
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        body: dict[str, Any] = {"id": ref.provider_id, "message": {"raw": raw}}
        if ref.thread_id:
            body["message"]["threadId"] = ref.thread_id
        self._listing = None
        updated = self.api.call(self.api.drafts.update(
            userId="me", id=ref.provider_id, body=body, fields="id,message(id,threadId)"),
            "drafts.update")
        return _ref(ref.provider_id, updated.get("message"))

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """getProfile, then drafts.list only if the mailbox changed; threads.get only for
        drafts that left."""
        history = self._mailbox_history_id()
        listed = self._listed(history)
        states: dict[str, DraftStatus] = {}
        can_tell = self.track_sent and self._can_read_metadata()
        if can_tell and self._history_start is None:
            self._history_start = history
        for key, ref in drafts.items():
            if ref.provider_id in listed:
                thread = listed[ref.provider_id]
                # Editing the subject can move a draft to another thread: follow it.
                moved = DraftRef(ref.provider_id, thread) if thread and \
                    thread != ref.thread_id else None
                states[key] = DraftStatus(MailboxState.OPEN, ref=moved)
            elif can_tell and ref.thread_id:
                states[key] = self._sent_or_discarded(key, ref.thread_id)
            else:
                states[key] = DraftStatus(MailboxState.GONE)
        return states

    def _mailbox_history_id(self) -> str | None:
        """The mailbox's current historyId (an opaque uint64 string), None if not given."""
        profile = self.api.call(self.api.gmail.users().getProfile(
            userId="me", fields="historyId"), "users.getProfile")
        value = profile.get("historyId")
        return str(value) if isinstance(value, (str, int)) and str(value) else None

    def _listed(self, history: str | None) -> dict[str, str]:
        """Draft id → thread id: the last listing while the mailbox has not changed since,
        else a new one. `history` was read before listing, so a change made while the
        pages are read leaves the remembered id behind and the next cycle lists again."""
        now = self._monotonic()
        if history is not None and self._listing is not None \
                and history == self._listing_history \
                and now - self._listed_at < RELIST_EVERY:
            return self._listing
        self._listing = None  # a listing that fails halfway is not remembered
        listing = {draft_id: thread for draft_id, _msg, thread in self._list()}
        self._listing, self._listing_history, self._listed_at = listing, history, now
        return listing

    def _can_read_metadata(self) -> bool:
        if not missing_scopes(self.api.creds.granted_scopes(), [
                "https://www.googleapis.com/auth/gmail.metadata"]):
            return True
        if not self._warned_scope:
            log.warning("account %s: track_sent needs the gmail.metadata scope: run "
                        "`afterword auth %s`", self.account, self.account)
            self._warned_scope = True
        return False

    def _sent_or_discarded(self, key: str, thread_id: str) -> DraftStatus:
        """SENT in the draft's thread, else a SENT message with our key in history."""
        return (self._sent_in_thread(key, thread_id) or self._sent_in_history(key)
                or DraftStatus(MailboxState.DISCARDED))

    def _sent_in_thread(self, key: str, thread_id: str) -> DraftStatus | None:
        """A SENT message in the draft's thread means it was sent (and when)."""
        try:
            thread = self.api.call(self.api.gmail.users().threads().get(
                userId="me", id=thread_id, format="metadata", metadataHeaders=[KEY_HEADER],
                fields="messages(id,labelIds,internalDate,payload/headers)"), "threads.get")
        except NotFound:
            return None
        for message in thread.get("messages") or ():
            if not isinstance(message, dict) or "SENT" not in (message.get("labelIds") or ()):
                continue
            headers = (message.get("payload") or {}).get("headers") or ()
            stamped = [str(h.get("value", "")).strip() for h in headers
                       if isinstance(h, dict)
                       and str(h.get("name", "")).lower() == KEY_HEADER.lower()]
            # The web composer may drop our header: a SENT message without one in our own
            # thread is the note; one stamped with another key is not.
            if stamped and key not in stamped:
                continue
            return DraftStatus(MailboxState.SENT, sent_at=_millis(message.get("internalDate")))
        return None

    def _sent_in_history(self, key: str) -> DraftStatus | None:
        """A message sent since tracking began that carries our key (the draft may have
        moved to another thread before it was sent: a subject edit can do that)."""
        if self._history_start is None:
            return None
        page_token: str | None = None
        while True:
            try:
                page = self.api.call(self.api.gmail.users().history().list(
                    userId="me", startHistoryId=self._history_start, labelId="SENT",
                    historyTypes=["messageAdded"], pageToken=page_token,
                    fields="nextPageToken,history(messagesAdded(message(id)))"),
                    "history.list")
            except NotFound:  # the start is too old for Gmail's history: begin again
                self._history_start = None
                return None
            for record in page.get("history") or ():
                for added in (record or {}).get("messagesAdded") or ():
                    message_id = str(((added or {}).get("message") or {}).get("id", ""))
                    if message_id and self._sent_key(message_id)[0] == key:
                        return DraftStatus(MailboxState.SENT,
                                           sent_at=_millis(self._sent_seen[message_id][1]))
            page_token = page.get("nextPageToken")
            if not page_token:
                return None

    def _sent_key(self, message_id: str) -> tuple[str, Any]:
        if message_id not in self._sent_seen:
            try:
                message = self.api.call(self.api.gmail.users().messages().get(
                    userId="me", id=message_id, format="metadata",
                    metadataHeaders=[KEY_HEADER], fields="id,internalDate,payload/headers"),
                    "messages.get")
            except NotFound:
                message = {}
            headers = (message.get("payload") or {}).get("headers") or ()
            stamped = [str(h.get("value", "")).strip() for h in headers
                       if isinstance(h, dict)
                       and str(h.get("name", "")).lower() == KEY_HEADER.lower()]
            self._sent_seen[message_id] = (stamped[0] if stamped else "",
                                           message.get("internalDate"))
        return self._sent_seen[message_id]


def _millis(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _ref(draft_id: str, message: object) -> DraftRef:
    """A draft's ref from the `message` part of a drafts.create/update answer."""
    fields = message if isinstance(message, dict) else {}
    thread, message_id = fields.get("threadId"), fields.get("id")
    return DraftRef(draft_id, thread if isinstance(thread, str) else None,
                    version=message_id if isinstance(message_id, str) else None)
