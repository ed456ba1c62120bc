"""State behind the fake Google server: calendars with sync tokens, a Gmail mailbox.

Pure data structures (no HTTP), built to stay linear with 10,000+ events: events live in
insertion-ordered dicts, every change appends to a per-calendar log read with bisect, and
a listing is snapshotted once and then paged by offset.
"""

from __future__ import annotations

import base64
import bisect
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any


def new_id(prefix: str = "") -> str:
    """A random id in Google's style (lowercase letters and digits)."""
    return prefix + secrets.token_hex(10)


def _instant(value: dict[str, Any]) -> datetime:
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"])
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(date.fromisoformat(value["date"]), datetime.min.time(), UTC)


# -- fields masks -----------------------------------------------------------------------

Mask = dict[str, "Mask | None"]


def parse_fields(text: str) -> Mask:
    """The `fields` grammar: a,b/c,d(e,f/g) → a tree; None marks 'everything below'."""
    pos = 0

    def parse_list(end: str) -> Mask:
        nonlocal pos
        tree: Mask = {}
        while pos < len(text) and text[pos] != end:
            start = pos
            while pos < len(text) and text[pos] not in ",()":
                pos += 1
            path = [p.strip() for p in text[start:pos].split("/") if p.strip()]
            sub: Mask | None = None
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list(")")
                if pos >= len(text):
                    raise ValueError("unbalanced parentheses in fields")
                pos += 1  # ')'
            if not path:
                raise ValueError("empty field name")
            _merge(tree, path, sub)
            if pos < len(text) and text[pos] == ",":
                pos += 1
        return tree

    tree = parse_list("")
    if pos != len(text):
        raise ValueError("unexpected ')' in fields")
    return tree


def _merge(tree: Mask, path: list[str], sub: Mask | None) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        if head in tree and tree[head] is not None and sub is not None:
            tree[head].update(sub)  # type: ignore[union-attr]
        elif head in tree and tree[head] is None:
            return
        else:
            tree[head] = sub
        return
    child = tree.get(head, {})
    if child is None:
        return  # already everything
    tree[head] = child
    _merge(child, rest, sub)


def apply_fields(value: Any, mask: Mask | None) -> Any:
    """Trim a response to the mask, like Google does (lists apply the mask per item)."""
    if mask is None:
        return value
    if isinstance(value, list):
        return [apply_fields(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: apply_fields(v, mask[k]) for k, v in value.items() if k in mask}
    return value


# -- calendar ---------------------------------------------------------------------------

@dataclass
class Calendar:
    """One calendar: current events (tombstones included) and a change log."""

    id: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    spans: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    log_seqs: list[int] = field(default_factory=list)
    log_ids: list[str] = field(default_factory=list)
    generation: int = 0  # bumped to expire every sync token issued so far

    def put(self, event: dict[str, Any], seq: int) -> None:
        """Insert or replace an event (with a new `updated` stamp)."""
        event_id = event["id"]
        if event.get("status") != "cancelled":
            self.spans[event_id] = (_instant(event["start"]), _instant(event["end"]))
        else:
            self.spans.pop(event_id, None)
        self.events.pop(event_id, None)  # re-insert: keeps the dict in change order
        self.events[event_id] = event
        self.log_seqs.append(seq)
        self.log_ids.append(event_id)

    def changed_since(self, seq: int) -> list[str]:
        """Ids changed after `seq`, each once, oldest change first."""
        start = bisect.bisect_right(self.log_seqs, seq)
        return list(dict.fromkeys(reversed(self.log_ids[start:])))[::-1]

    def in_window(self, time_min: datetime | None, time_max: datetime | None,
                  show_deleted: bool) -> list[str]:
        """Ids of live events overlapping [time_min, time_max) (end > min, start < max)."""
        out = []
        for event_id in self.events:
            span = self.spans.get(event_id)
            if span is None:
                if show_deleted:
                    out.append(event_id)
                continue
            if time_min is not None and span[1] <= time_min:
                continue
            if time_max is not None and span[0] >= time_max:
                continue
            out.append(event_id)
        return out


# -- gmail ------------------------------------------------------------------------------

@dataclass
class Message:
    """One stored message (draft or sent)."""

    id: str
    thread_id: str
    raw: bytes
    labels: list[str]
    internal_date: int  # ms since the epoch
    history_id: int

    def parsed(self) -> EmailMessage:
        """The RFC 2822 message."""
        msg = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(msg, EmailMessage)
        return msg

    def resource(self, fmt: str, headers: list[str] | None) -> dict[str, Any]:
        """The Gmail Message resource in the given format."""
        out: dict[str, Any] = {"id": self.id, "threadId": self.thread_id,
                               "labelIds": list(self.labels)}
        if fmt == "minimal":
            return out
        out.update(historyId=str(self.history_id), internalDate=str(self.internal_date),
                   sizeEstimate=len(self.raw), snippet="")
        if fmt == "raw":
            out["raw"] = base64.urlsafe_b64encode(self.raw).decode()
            return out
        msg = self.parsed()
        pairs = [{"name": k, "value": str(v)} for k, v in msg.items()]
        if fmt == "metadata" and headers:
            wanted = {h.lower() for h in headers}
            pairs = [p for p in pairs if p["name"].lower() in wanted]
        out["payload"] = {"mimeType": msg.get_content_type(), "headers": pairs}
        if fmt == "full":
            body = msg.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            out["payload"]["body"] = {"data": base64.urlsafe_b64encode(text.encode()).decode()}
        return out


@dataclass(frozen=True)
class Change:
    """One history record: what happened to which message (labels as of the change)."""

    id: int
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved (historyTypes)
    message_id: str
    thread_id: str
    labels: tuple[str, ...]
    label_ids: tuple[str, ...] = ()  # the labels added or removed


def _first_history_id() -> int:
    # Gmail's historyId is a uint64: start past 2**53 so that a client reading it as a
    # float (JSON numbers in many languages) cannot tell neighbouring ids apart.
    return 2**53 + secrets.randbelow(10**6)


@dataclass
class Mailbox:
    """A Gmail mailbox: drafts, messages, threads and a history log.

    Every change Gmail records in history (a message added or deleted, which covers
    drafts created, saved, sent and discarded; labels added or removed) moves
    `history_id` forward, by uneven steps: Gmail's ids increase but are not contiguous.
    """

    address: str
    drafts: dict[str, str] = field(default_factory=dict)  # draft id → message id
    messages: dict[str, Message] = field(default_factory=dict)
    threads: dict[str, list[str]] = field(default_factory=dict)
    history: list[Change] = field(default_factory=list)
    history_id: int = field(default_factory=_first_history_id)

    def _record(self, kind: str, msg: Message, label_ids: tuple[str, ...] = ()) -> int:
        self.history_id += 1 + secrets.randbelow(3)
        self.history.append(Change(self.history_id, kind, msg.id, msg.thread_id,
                                   tuple(msg.labels), label_ids))
        return self.history_id

    def add_message(self, raw: bytes, labels: list[str], thread_id: str | None) -> Message:
        """Store a message (new thread unless `thread_id`) and log it in history."""
        thread = thread_id if thread_id in self.threads else new_id("t")
        msg = Message(new_id("m"), thread, raw, labels, int(time.time() * 1000), 0)
        msg.history_id = self._record("messageAdded", msg)
        self.messages[msg.id] = msg
        self.threads.setdefault(thread, []).append(msg.id)
        return msg

    def remove_message(self, message_id: str) -> None:
        """Delete a message for good (logged); an emptied thread disappears."""
        msg = self.messages.pop(message_id)
        ids = self.threads[msg.thread_id]
        ids.remove(message_id)
        if not ids:
            del self.threads[msg.thread_id]
        self._record("messageDeleted", msg)

    def relabel(self, message_id: str, add: tuple[str, ...] = (),
                remove: tuple[str, ...] = ()) -> None:
        """Add and remove labels on a message (each actual change is logged)."""
        msg = self.messages[message_id]
        added = tuple(label for label in add if label not in msg.labels)
        removed = tuple(label for label in remove if label in msg.labels)
        msg.labels = [label for label in msg.labels if label not in removed] + list(added)
        for kind, ids in (("labelAdded", added), ("labelRemoved", removed)):
            if ids:
                msg.history_id = self._record(kind, msg, ids)

    def create_draft(self, raw: bytes, thread_id: str | None = None) -> tuple[str, Message]:
        """drafts.create: a new draft id and its DRAFT message."""
        msg = self.add_message(raw, ["DRAFT"], thread_id)
        draft_id = new_id("r")
        self.drafts[draft_id] = msg.id
        return draft_id, msg

    def draft_ids_newest_first(self) -> list[str]:
        """Drafts in the order Gmail lists them (most recently saved first)."""
        return list(reversed(self.drafts))

    def draft_message(self, draft_id: str) -> Message:
        """The draft's current message."""
        return self.messages[self.drafts[draft_id]]
