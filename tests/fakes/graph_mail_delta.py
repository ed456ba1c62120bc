"""The fake Graph's `mailFolders/{id}/messages/delta`, as the public docs describe it.

- A round starts without a token: every message in the folder (the ones passing a
  `$filter`, at most `$top` of them), `Prefer: odata.maxpagesize` per page (10 when not
  asked), `@odata.nextLink` with an opaque `$skiptoken` until the `@odata.deltaLink` with
  a `$deltatoken`. The links name the folder by its opaque id, not by the well-known
  name the client asked with: a client must use them as they are.
- Query options only on the first request (they live in the token): `$select` (`id`
  always comes back), `$top`, `$expand` of one extended property, `$filter` only
  `receivedDateTime ge|gt`, `$orderby` only `receivedDateTime desc`, the custom
  `changeType`; anything else (`$search`, `$skip`, `$count`, other filters) is a 400.
- The delta link reports what changed since: messages created in or moved into the
  folder, messages updated, and `@removed` (reason "deleted") for messages the client
  was told about that were deleted, sent or moved out. A message created and gone again
  between two rounds is not reported (the state knows only what it handed out).
- State tokens die: every token issued before `FakeGraph.expire_sync_state()`, and the
  oldest once more than `STATE_CAP` are held (Exchange keeps a bounded cache of them),
  answer 410 `syncStateNotFound`.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import secrets
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from tests.fakes.graph_handler import GraphReply

if TYPE_CHECKING:
    from tests.fakes.graph import FakeGraph, Mailbox

DEFAULT_PAGE = 10  # what Outlook hands out per page unless asked for more
MAX_PAGE = 1000
STATE_CAP = 2000
_TOKEN_KEYS = {"$skiptoken", "$deltatoken"}
_FIRST_ONLY = {"$select", "$top", "$expand", "$filter", "$orderby", "changeType"}
_FILTER = re.compile(r"^receivedDateTime\s+(ge|gt)\s+(\S+)$", re.IGNORECASE)
_ORDER = re.compile(r"^receivedDateTime\s+desc$", re.IGNORECASE)
_CHANGE_TYPES = {"created", "updated", "deleted"}


def folder_id(name: str) -> str:
    """The opaque id of a well-known folder (what Graph writes into its links)."""
    return "AQMkADAwATM0MDAAMS0" + hashlib.sha256(name.encode()).hexdigest()[:24] + "AAAA=="


class MessageDelta:
    """Delta rounds over the messages of one folder per state token."""

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        self.states: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def _keep(self, state: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(32)
        self.states[token] = state
        while len(self.states) > STATE_CAP:
            self.states.popitem(last=False)  # the oldest token is forgotten
        return token

    def answer(self, box: Mailbox, folder: str, query: dict[str, str],
               prefer: str) -> dict[str, Any]:
        """One page of a round (called with the fake's lock held)."""
        tokens = _TOKEN_KEYS & set(query)
        if tokens:
            extra = sorted(set(query) - tokens)
            if extra or len(tokens) > 1:
                raise GraphReply(400, "ErrorInvalidUrlQuery", "Query options belong in the "
                                 f"initial delta request only: {', '.join(extra)}.")
            token = query.get("$deltatoken") or query.get("$skiptoken") or ""
            state = self.states.get(token)
            if state is None or state["epoch"] < self.fake.sync_epoch or \
                    state["folder"] != folder:
                raise GraphReply(410, "syncStateNotFound",
                                 "The sync state generation is not found.")
            if "$deltatoken" in query:
                state = self._changes(box, state)
        else:
            state = self._first(box, folder, query)
        size = min(_page_size(prefer), MAX_PAGE)
        offset = state["offset"]
        chunk = state["pending"][offset:offset + size]
        values = [self._render(box, state, entry, prefer) for entry in chunk]
        reply: dict[str, Any] = {
            "@odata.context": f"{self.fake.base}/$metadata#Collection(message)",
            "value": values}
        link = f"{self.fake.base}/me/mailfolders('{folder_id(folder)}')/messages/delta"
        if offset + size < len(state["pending"]):
            token = self._keep({**state, "offset": offset + size})
            reply["@odata.nextLink"] = f"{link}?$skiptoken={token}"
        else:
            done = {k: v for k, v in state.items() if k not in ("pending", "offset")}
            reply["@odata.deltaLink"] = f"{link}?$deltatoken={self._keep(done)}"
        return reply

    def _first(self, box: Mailbox, folder: str, query: dict[str, str]) -> dict[str, Any]:
        unknown = sorted(k for k in query if k not in _FIRST_ONLY)
        if unknown:
            raise GraphReply(400, "ErrorInvalidUrlQuery", "The following parameters are not "
                             f"supported with change tracking: {', '.join(unknown)}.")
        change_type = query.get("changeType", "")
        if change_type and change_type not in _CHANGE_TYPES:
            raise GraphReply(400, "ErrorInvalidUrlQuery", f"Invalid changeType {change_type}.")
        if "$orderby" in query and not _ORDER.match(query["$orderby"].strip()):
            raise GraphReply(400, "ErrorInvalidUrlQuery",
                             "Only receivedDateTime desc is supported with delta.")
        since: tuple[str, str] | None = None
        if "$filter" in query:
            match = _FILTER.match(query["$filter"].strip())
            if not match:
                raise GraphReply(400, "ErrorInvalidUrlQuery",
                                 "Only receivedDateTime ge|gt filters work with delta.")
            since = (match.group(1).lower(), match.group(2).strip("'"))
        items = [m for m in box.messages.values() if m["_folder"] == folder]
        if since is not None:
            op, moment = since
            items = [m for m in items if _received(m) > moment or
                     (op == "ge" and _received(m) == moment)]
        items.sort(key=_received, reverse=True)
        if "$top" in query:
            # $top caps the whole round, not the page (as reported against Exchange).
            items = items[:max(0, int(query["$top"]))]
        if "$expand" in query:
            _expanded(query["$expand"])
        known = {str(m["id"]): int(m.get("_gen", 0)) for m in items}
        return {"folder": folder, "epoch": self.fake.sync_epoch, "seq": self.fake.seq,
                "select": query.get("$select", ""), "expand": query.get("$expand", ""),
                "change_type": change_type, "known": known,
                "pending": [(i, "created", g) for i, g in known.items()], "offset": 0}

    def _changes(self, box: Mailbox, state: dict[str, Any]) -> dict[str, Any]:
        """A new page run: what changed in the folder since the state's sequence number."""
        start = bisect.bisect_right(box.message_changes, (state["seq"], "\uffff"))
        if start == len(box.message_changes):
            return {**state, "pending": [], "offset": 0}  # nothing changed: share the state
        # Each id once, in the order of its latest change.
        ids = reversed(list(dict.fromkeys(i for _s, i in reversed(box.message_changes[start:]))))
        known: dict[str, int] = dict(state["known"])
        pending: list[tuple[str, str, int]] = []
        for message_id in ids:
            message = box.messages.get(message_id)
            if message is not None and message["_folder"] == state["folder"]:
                kind = "updated" if message_id in known else "created"
                gen = known[message_id] = int(message.get("_gen", 0))
            elif message_id in known:
                # Deleted, sent or moved out; reported with the id the client was given.
                kind, gen = "deleted", known.pop(message_id)
            else:
                continue  # never handed out: nothing to report
            if not state["change_type"] or state["change_type"] == kind:
                pending.append((message_id, kind, gen))
        return {**state, "known": known, "seq": self.fake.seq, "pending": pending,
                "offset": 0}

    def _render(self, box: Mailbox, state: dict[str, Any], entry: tuple[str, str, int],
                prefer: str) -> dict[str, Any]:
        from tests.fakes.graph import _public, _select, _wire_id

        message_id, kind, gen = entry
        message = box.messages.get(message_id)
        if kind == "deleted" or message is None or message["_folder"] != state["folder"]:
            return {"@odata.type": "#microsoft.graph.message",
                    "id": _wire_id({"id": message_id, "_gen": gen}, prefer),
                    "@removed": {"reason": "deleted"}}
        row = _select(_public(message, prefer),
                      {"$select": state["select"]} if state["select"] else {})
        if state["expand"]:
            wanted = _expanded(state["expand"])
            row["singleValueExtendedProperties"] = [
                p for k, p in message["_props"].items() if k == wanted]
        etag = f'W/"CQAAABYAAAA{int(message.get("_version", 0)):08d}"'
        return {"@odata.type": "#microsoft.graph.message", "@odata.etag": etag, **row}


def _received(message: dict[str, Any]) -> str:
    return str(message.get("receivedDateTime") or message.get("createdDateTime") or "")


def _page_size(prefer: str) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    return max(1, int(match.group(1))) if match else DEFAULT_PAGE


def _expanded(expand: str) -> str:
    from tests.fakes.graph import _EXPAND, _prop_key

    match = _EXPAND.match(expand)
    if not match:
        raise GraphReply(400, "BadRequest", "Unsupported $expand.")
    return _prop_key(match.group(1).replace("''", "'"))
