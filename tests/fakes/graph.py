"""A fake Microsoft Graph v1.0 (calendar + mail) on loopback http, as the public docs describe it.

- Bearer tokens are checked against a `FakeAuthority` (401 when expired or revoked).
- `/me/calendarView` (paged) and `/me/calendarView/delta` rounds: `@odata.nextLink`
  pages (`Prefer: odata.maxpagesize`), an `@odata.deltaLink` whose state encodes the
  window, `@removed` for deleted events and events moved out of the window, 410
  `syncStateNotFound` for expired state. Occurrences in delta answers carry only id,
  type, seriesMasterId, start and end. Without `Prefer: outlook.timezone` times come in
  the event's own (Windows-named) zone.
- Ids are immutable only for requests with `Prefer: IdType="ImmutableId"`; otherwise the
  regular id is shown (another string, new after every move of a message).
- `/me/events/{id}` with `$select`; `$batch` (≤ 20, answers in another order, per-item
  faults); `/me/messages` drafts with extended properties, internet headers (x- only)
  and immutable ids on request; `mailFolders('drafts'|'sentitems'|'deleteditems'|
  'outbox')/messages` with the extended-property and internetMessageId `$filter`s;
  `mailFolders/{id}/messages/delta` rounds (see `graph_mail_delta`).
- The user edits, sends (the Sent Items copy gets a new id and keeps the properties and
  internetMessageId) and deletes (moves to Deleted Items) drafts.
- Injected faults (status + Retry-After, a dropped connection before or after the change
  was applied, a truncated JSON answer, slow answers, a draft the user deletes before
  the answer arrives), counters of requests and bytes, and a request log.

The state and the API live here; `graph_handler` is the HTTP side.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from http.server import ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.authority import FakeAuthority
from tests.fakes.graph_handler import GraphReply, handler
from tests.fakes.graph_mail_delta import MessageDelta, folder_id

WINDOWS_ZONES = {"Pacific Standard Time": "America/Los_Angeles",
                 "W. Europe Standard Time": "Europe/Berlin", "UTC": "UTC"}
FOLDERS = ("drafts", "sentitems", "deleteditems", "outbox", "inbox")
DEFAULT_PAGE = 10
MAX_PAGE = 1000
# The documented forms only: `ep/id eq '{id}'`, optionally `and ep/value eq '{value}'`.
_PROP_FILTER = re.compile(
    r"^singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id eq '((?:[^']|'')*)'"
    r"(?:\s+and\s+\1/value\s+eq\s+'((?:[^']|'')*)')?\s*\)$", re.IGNORECASE)
# Undocumented comparisons with null: Exchange answers them with a server error.
_NULL_COMPARISON = re.compile(r"\b(?:ne|eq)\s+null\b", re.IGNORECASE)
_IMID_FILTER = re.compile(r"^internetMessageId eq '((?:[^']|'')*)'$", re.IGNORECASE)
_EXPAND = re.compile(r"^singleValueExtendedProperties\(\$filter=id eq '((?:[^']|'')*)'\)$",
                     re.IGNORECASE)
_NO_DELTA_OPTIONS = {"$select", "$filter", "$top", "$orderby", "$expand", "$search", "$skip"}
_PROP_ID = re.compile(r"^String \{[0-9a-fA-F-]{36}\} Name \w+$")


@dataclass
class Fault:
    """An injected failure for requests whose method and path match."""

    method: str
    path: str  # a substring of the path (for batch items: of the item url)
    status: int = 0
    times: int = 1
    retry_after: float | None = None
    drop_after_apply: bool = False  # do the work, then close the connection unanswered
    delay: float = 0.0
    in_batch: bool = False
    query: str = ""  # a substring the (decoded) query string must hold, when given
    drop: bool = False  # close the connection before doing anything (a reset)
    malformed: bool = False  # do the work, answer 2xx with a truncated JSON body
    user_deletes_after_apply: bool = False  # do the work, the user deletes it, no answer
    code: str = ""  # the error code of the answer (else one that fits the status)


@dataclass
class Mailbox:
    """One user's calendar and mail."""

    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[tuple[int, str]] = field(default_factory=list)  # (seq, event id)
    deleted: set[str] = field(default_factory=set)
    message_changes: list[tuple[int, str]] = field(default_factory=list)  # (seq, message id)


class FakeGraph:
    """Graph for the users of `authority`. `base` goes into the account's graph_endpoint."""

    def __init__(self, authority: FakeAuthority) -> None:
        self.authority = authority
        self.mailboxes: dict[str, Mailbox] = {}
        self.lock = threading.RLock()
        self.seq = 0
        self.faults: list[Fault] = []
        self.log: list[dict[str, Any]] = []
        self.batch_log: list[dict[str, Any]] = []  # the items inside $batch requests
        self.requests = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.delta_states: dict[str, dict[str, Any]] = {}
        self.primary_address: dict[str, str] = {}  # sign-in name → mail, when they differ
        self.sync_epoch = 0  # delta state older than this answers 410
        self.message_delta = MessageDelta(self)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.root = f"http://127.0.0.1:{self.port}"
        self.base = f"{self.root}/v1.0"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)

    def __enter__(self) -> FakeGraph:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test controls: calendar ---------------------------------------------------------

    def mailbox(self, email: str) -> Mailbox:
        """The mailbox of a user (made on first use)."""
        return self.mailboxes.setdefault(email.lower(), Mailbox())

    def _touch(self, box: Mailbox, event_id: str) -> None:
        self.seq += 1
        box.changes.append((self.seq, event_id))
        if event_id in box.events:
            box.events[event_id]["_etag"] = f'W/"DwAAABYAAA{self.seq:08d}"'  # per version

    def add_event(self, email: str, subject: str, start: datetime, minutes: int = 60, *,
                  attendees: list[dict[str, Any]] | None = None,
                  organizer: tuple[str, str] | None = None, calendar: str = "default",
                  zone: str = "Pacific Standard Time", **extra: Any) -> str:
        """An event in a user's calendar; `attendees` are Graph attendee dicts."""
        end = start + timedelta(minutes=minutes)
        event_id = "AAMkAD" + secrets.token_urlsafe(24)
        org_name, org_email = organizer or ("Alex Rivera", email)
        event = {
            "id": event_id, "subject": subject, "bodyPreview": "", "body":
                {"contentType": "html", "content": "<html><body></body></html>"},
            "start": start.astimezone(UTC), "end": end.astimezone(UTC), "isAllDay": False,
            "isCancelled": False, "isOrganizer": org_email.lower() == email.lower(),
            "responseStatus": {"response": "organizer" if org_email.lower() == email.lower()
                               else "accepted", "time": "0001-01-01T00:00:00Z"},
            "attendees": attendees or [],
            "organizer": {"emailAddress": {"name": org_name, "address": org_email}},
            "categories": [], "showAs": "busy", "type": "singleInstance",
            "seriesMasterId": None, "iCalUId": "040000008200E00074C5B7101A82E008" +
            secrets.token_hex(16), "onlineMeeting": None, "onlineMeetingUrl": None,
            "location": {"displayName": ""}, "hideAttendees": False,
            "_calendar": calendar, "_zone": zone,
        }
        event.update(extra)
        if event["isAllDay"]:
            # All-day events are dates: Graph returns them midnight to midnight in whatever
            # zone was asked for, without converting (documented "by design").
            event["_days"] = (start.date(), end.date())
        with self.lock:
            box = self.mailbox(email)
            box.events[event_id] = event
            self._touch(box, event_id)
        return event_id

    def update_event(self, email: str, event_id: str, **changes: Any) -> None:
        """Change an event (start/end as aware datetimes)."""
        with self.lock:
            box = self.mailbox(email)
            for key in ("start", "end"):
                if key in changes:
                    changes[key] = changes[key].astimezone(UTC)
            box.events[event_id].update(changes)
            self._touch(box, event_id)

    def delete_event(self, email: str, event_id: str) -> None:
        """Remove an event from the calendar."""
        with self.lock:
            box = self.mailbox(email)
            del box.events[event_id]
            box.deleted.add(event_id)
            self._touch(box, event_id)

    def expire_sync_state(self) -> None:
        """Every delta/skip token issued so far answers 410 syncStateNotFound."""
        with self.lock:
            self.sync_epoch = self.seq + 1
            self.seq += 1

    # -- test controls: mail -------------------------------------------------------------

    def messages(self, email: str, folder: str = "drafts") -> list[dict[str, Any]]:
        """The messages in a folder, oldest first."""
        with self.lock:
            return [m for m in self.mailbox(email).messages.values() if m["_folder"] == folder]

    def _touch_message(self, box: Mailbox, message_id: str) -> None:
        # Every change to a message, in any folder: what message delta rounds report.
        self.seq += 1
        box.message_changes.append((self.seq, message_id))
        if message_id in box.messages:
            box.messages[message_id]["_version"] = self.seq
            # Exchange gives an item a new changeKey with every change.
            box.messages[message_id]["changeKey"] = secrets.token_urlsafe(12)

    def _move(self, box: Mailbox, message: dict[str, Any], folder: str) -> dict[str, Any]:
        # The immutable id (the key here) stays; the regular id changes with every move.
        message["_gen"] = message.get("_gen", 0) + 1
        message["_folder"] = folder
        self._touch_message(box, str(message["id"]))
        return message

    def user_edits(self, email: str, message_id: str, text: str) -> None:
        """The user rewrites the draft's body in Outlook (the id stays)."""
        with self.lock:
            box = self.mailbox(email)
            message = box.messages[message_id]
            message["body"] = {"contentType": "text", "content": text}
            message["lastModifiedDateTime"] = _stamp(datetime.now(UTC))
            self._touch_message(box, message_id)

    def user_sends(self, email: str, message_id: str,
                   keep_properties: bool = True) -> dict[str, Any]:
        """The user presses Send: the draft goes; a Sent Items copy with a new id appears.

        Some clients drop custom properties when sending (`keep_properties=False`); the
        internetMessageId always survives.
        """
        with self.lock:
            box = self.mailbox(email)
            draft = box.messages.pop(message_id)
            sent = {**json.loads(json.dumps(draft)), "id": "AAMkAG" + secrets.token_urlsafe(30),
                    "_gen": 0, "isDraft": False, "_folder": "sentitems",
                    "sentDateTime": _stamp(datetime.now(UTC))}
            if not keep_properties:
                sent["_props"] = {}
            box.messages[sent["id"]] = sent
            self._touch_message(box, message_id)
            self._touch_message(box, sent["id"])
            return sent

    def user_deletes(self, email: str, message_id: str, hard: bool = False) -> None:
        """The user deletes the draft (to Deleted Items, or for good)."""
        with self.lock:
            box = self.mailbox(email)
            if hard:
                del box.messages[message_id]
                self._touch_message(box, message_id)
            else:
                self._move(box, box.messages[message_id], "deleteditems")

    def drop_property(self, email: str, message_id: str, property_id: str) -> None:
        """A client rewrites the draft without one of its extended properties."""
        with self.lock:
            box = self.mailbox(email)
            box.messages[message_id]["_props"].pop(_prop_key(property_id), None)
            self._touch_message(box, message_id)

    # -- test controls: faults and counters ----------------------------------------------

    def fail(self, method: str, path: str, status: int = 0, **options: Any) -> Fault:
        """Inject a fault for the next matching request(s)."""
        fault = Fault(method.upper(), path, status, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def reset_counters(self) -> None:
        """Zero the request and byte counters and the log."""
        with self.lock:
            self.requests = self.bytes_in = self.bytes_out = 0
            self.log.clear()
            self.batch_log.clear()

    def take_fault(self, method: str, path: str, in_batch: bool,
                   query: str = "") -> Fault | None:
        """The first armed fault matching a request (used up by one)."""
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path in path and \
                        fault.in_batch == in_batch and fault.query in query:
                    fault.times -= 1
                    return fault
        return None

    # -- the API -------------------------------------------------------------------------

    def user_of(self, headers: Any) -> str:
        """The signed-in user of a request, or a 401."""
        auth = headers.get("Authorization") or ""
        # The token must be for this Graph: one issued for https://graph.microsoft.com (a
        # bare scope name) is refused here, as a national cloud's Graph refuses it.
        user = self.authority.user_for(auth[7:], self.root) if auth.startswith("Bearer ") \
            else None
        if user is None:
            raise GraphReply(401, "InvalidAuthenticationToken",
                             "Access token has expired or is not yet valid.")
        return user.email

    def route(self, method: str, path: str, query: dict[str, str], prefer: str,
              body: Any, email: str) -> tuple[int, Any]:
        """Answer one (possibly batched) request."""
        with self.lock:
            box = self.mailbox(email)
            if method == "GET" and path == "/me":
                me = {"id": self.authority.users[email].oid,
                      "mail": self.primary_address.get(email, email),
                      "userPrincipalName": email,
                      "displayName": self.authority.users[email].name}
                return 200, _select(me, query)
            match = re.fullmatch(r"/me(?:/calendars/([^/]+))?/calendarView(/delta)?", path)
            if method == "GET" and match:
                calendar = match.group(1) or "default"
                if match.group(2):
                    return 200, self._delta(box, calendar, path, query, prefer)
                return 200, self._calendar_view(box, calendar, path, query, prefer)
            match = re.fullmatch(r"/me/events/([^/]+)", path)
            if method == "GET" and match:
                event = _by_id(box.events, match.group(1))
                if event is None:
                    raise GraphReply(404, "ErrorItemNotFound",
                                     "The specified object was not found in the store.")
                return 200, _select(_render(event, prefer, full=True), query)
            if method == "POST" and path == "/me/messages":
                return 201, self._create(box, body, prefer)
            match = re.fullmatch(r"/me/mailFolders\('([^'/]+)'\)/messages(/delta)?", path,
                                 re.IGNORECASE)
            if method == "GET" and match:
                folder = _folder(match.group(1))
                if match.group(2):
                    return 200, self.message_delta.answer(box, folder, query, prefer)
                return 200, self._list(box, folder, path, query, prefer)
            match = re.fullmatch(r"/me/mailFolders\('([^'/]+)'\)", path, re.IGNORECASE)
            if method == "GET" and match:
                folder = _folder(match.group(1))
                return 200, _select({"id": folder_id(folder), "displayName": folder},
                                    query)
            match = re.fullmatch(r"/me/messages/([^/]+)", path)
            if method == "GET" and match:
                message = _by_id(box.messages, match.group(1))
                if message is None:
                    raise GraphReply(404, "ErrorItemNotFound",
                                     "The specified object was not found in the store.")
                return 200, _select(_public(message, prefer), query)
            if method == "PATCH" and match:
                return 200, self._update(box, match.group(1), body, prefer)
        raise GraphReply(400, "BadRequest", f"Unsupported request: {method} {path}")

    def _update(self, box: Mailbox, message_id: str, body: Any,
                prefer: str) -> dict[str, Any]:
        """PATCH /me/messages/{id}: subject, body and recipients change only on a draft;
        internetMessageHeaders can be set only when the message is created."""
        message = _by_id(box.messages, message_id)
        if message is None:
            raise GraphReply(404, "ErrorItemNotFound",
                             "The specified object was not found in the store.")
        if not isinstance(body, dict):
            raise GraphReply(400, "RequestBodyRead", "The request body is not JSON.")
        if "internetMessageHeaders" in body:
            raise GraphReply(400, "ErrorInvalidProperty", "The property "
                             "'InternetMessageHeaders' can only be set on message creation.")
        draft_only = {"subject", "body", "toRecipients", "ccRecipients", "bccRecipients"}
        if draft_only & set(body) and not message["isDraft"]:
            raise GraphReply(400, "ErrorInvalidRequest",
                             "Only draft messages can have their content updated.")
        unknown = set(body) - draft_only - {"flag", "categories", "importance", "isRead"}
        if unknown:
            raise GraphReply(400, "RequestBodyRead", f"Invalid property '{sorted(unknown)[0]}'.")
        message.update(body)
        message["lastModifiedDateTime"] = _stamp(datetime.now(UTC))
        self._touch_message(box, str(message["id"]))
        return _public(message, prefer)

    def _delta(self, box: Mailbox, calendar: str, path: str, query: dict[str, str],
               prefer: str) -> dict[str, Any]:
        unsupported = sorted(k for k in query if k.lower() in _NO_DELTA_OPTIONS)
        if unsupported:
            # Documented: event delta takes no $select, $filter, $top, $orderby, $expand,
            # $search (page size comes from Prefer: odata.maxpagesize).
            raise GraphReply(400, "ErrorInvalidUrlQuery",
                             "The following parameters are not supported with change "
                             "tracking over the 'CalendarView' resource: "
                             f"{', '.join(unsupported)}.")
        token = query.get("$deltatoken") or query.get("$skiptoken")
        size = min(_page_size(prefer), MAX_PAGE)
        if token:
            state = self.delta_states.get(token)
            if state is None or state["epoch"] < self.sync_epoch or state["calendar"] != calendar:
                raise GraphReply(410, "syncStateNotFound",
                                 "The sync state generation is not found.")
            if "$deltatoken" in query:
                # A new page run: everything changed since the state's sequence number.
                start = bisect.bisect_right(box.changes, (state["seq"], "\uffff"))
                ids = list(dict.fromkeys(i for _s, i in box.changes[start:]))
                pending = []
                for event_id in ids:
                    event = box.events.get(event_id)
                    if event is not None and event["_calendar"] != calendar:
                        continue
                    inside = event is not None and _overlaps(event, state)
                    pending.append((event_id, inside))
                state = {**state, "pending": pending, "offset": 0, "seq": self.seq}
        else:
            if "startDateTime" not in query or "endDateTime" not in query:
                raise GraphReply(400, "ErrorInvalidParameter",
                                 "This request requires a time window specified by the query "
                                 "string parameters StartDateTime and EndDateTime.")
            state = {"calendar": calendar, "start": _parse(query["startDateTime"]),
                     "end": _parse(query["endDateTime"]), "seq": self.seq,
                     "epoch": self.sync_epoch}
            inside = sorted((e for e in box.events.values()
                             if e["_calendar"] == calendar and _overlaps(e, state)),
                            key=lambda e: (e["start"], e["id"]))
            state["pending"] = [(e["id"], True) for e in inside]
            state["offset"] = 0
        # Pages share the round's list and keep an offset: linear in the round's size.
        offset = state["offset"]
        page = state["pending"][offset:offset + size]
        rest = offset + size < len(state["pending"])
        values = []
        for event_id, inside in page:
            event = box.events.get(event_id)
            if event is None or not inside:
                values.append({"@odata.type": "#microsoft.graph.event",
                               "id": _wire_id({"id": event_id}, prefer),
                               "@removed": {"reason": "deleted"}})
            else:
                values.append(_render(event, prefer, full=event["type"] != "occurrence"))
        reply: dict[str, Any] = {"@odata.context": f"{self.base}/$metadata#Collection(event)",
                                 "value": values}
        new_token = secrets.token_urlsafe(24)
        if rest:
            self.delta_states[new_token] = {**state, "offset": offset + size}
            reply["@odata.nextLink"] = f"{self.base}{path}?$skiptoken={new_token}"
        else:
            self.delta_states[new_token] = {k: v for k, v in state.items()
                                            if k not in ("pending", "offset")}
            reply["@odata.deltaLink"] = f"{self.base}{path}?$deltatoken={new_token}"
        return reply

    def _calendar_view(self, box: Mailbox, calendar: str, path: str, query: dict[str, str],
                       prefer: str) -> dict[str, Any]:
        try:
            window = {"start": _parse(query["startDateTime"]), "end": _parse(query["endDateTime"])}
        except KeyError:
            raise GraphReply(400, "ErrorInvalidParameter", "StartDateTime and EndDateTime "
                             "are required.") from None
        events = sorted((e for e in box.events.values()
                         if e["_calendar"] == calendar and _overlaps(e, window)),
                        key=lambda e: (e["start"], e["id"]))
        return _paged(self.base + path, events, query,
                      lambda e: _select(_render(e, prefer, True), query))

    def _create(self, box: Mailbox, body: Any, prefer: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GraphReply(400, "RequestBodyRead", "The request body is not JSON.")
        headers = body.get("internetMessageHeaders") or []
        for header in headers:
            if not str(header.get("name", "")).lower().startswith("x-"):
                raise GraphReply(400, "InvalidInternetMessageHeader",
                                 "The internet message header name should start with 'x-'.")
        if len(headers) > 5:
            raise GraphReply(400, "InvalidInternetMessageHeaderCollection",
                             "Maximum number of headers in one message should be less than "
                             "or equal to 5.")
        for prop in body.get("singleValueExtendedProperties") or []:
            if not _PROP_ID.match(str(prop.get("id", ""))):
                raise GraphReply(400, "ErrorInvalidProperty", "The property id is invalid.")
        flag = body.get("flag")
        if flag and flag.get("dueDateTime") and not flag.get("startDateTime"):
            raise GraphReply(400, "ErrorInvalidArgument",
                             "To set the due date, you must also specify the start date.")
        for recipient in body.get("toRecipients") or []:
            if "@" not in str(recipient.get("emailAddress", {}).get("address", "")):
                raise GraphReply(400, "ErrorInvalidRecipients", "Invalid recipient.")
        now = _stamp(datetime.now(UTC))
        message = {
            "id": "AAMkAG" + secrets.token_urlsafe(30),
            "createdDateTime": now, "lastModifiedDateTime": now,
            "subject": body.get("subject", ""), "body": body.get("body") or {},
            "toRecipients": body.get("toRecipients") or [], "isDraft": True,
            "internetMessageId": f"<{uuid.uuid4().hex}@fake.prod.outlook.com>",
            "internetMessageHeaders": headers, "flag": flag or {"flagStatus": "notFlagged"},
            "changeKey": secrets.token_urlsafe(12),
            "sentDateTime": None,
            "_props": {_prop_key(str(p["id"])): {"id": p["id"], "value": p.get("value")}
                       for p in body.get("singleValueExtendedProperties") or []},
            "_folder": "drafts", "_immutable": 'idtype="immutableid"' in prefer.lower(),
        }
        box.messages[message["id"]] = message
        self._touch_message(box, message["id"])
        return _public(message, prefer)

    def _list(self, box: Mailbox, folder: str, path: str,
              query: dict[str, str], prefer: str) -> dict[str, Any]:
        if folder not in FOLDERS:
            raise GraphReply(404, "ErrorInvalidIdMalformed", f"Unknown folder {folder}.")
        items = [m for m in box.messages.values() if m["_folder"] == folder]
        flt = query.get("$filter", "").strip()
        if flt:
            prop = _PROP_FILTER.match(flt)
            imid = _IMID_FILTER.match(flt)
            if _NULL_COMPARISON.search(flt):
                raise GraphReply(500, "ErrorInternalServerError",
                                 "An internal server error occurred. The operation failed.")
            if prop:
                wanted = _prop_key(prop.group(2).replace("''", "'"))
                value = prop.group(3).replace("''", "'") if prop.group(3) is not None else None
                # Name matching is case-sensitive, the value comparison is not (as documented).
                items = [m for m in items if wanted in m["_props"] and (
                    value is None or str(m["_props"][wanted]["value"]).lower() == value.lower())]
            elif imid:
                items = [m for m in items
                         if m["internetMessageId"] == imid.group(1).replace("''", "'")]
            else:
                raise GraphReply(400, "BadRequest", f"Invalid filter clause: {flt[:80]}")
        expand = None
        if "$expand" in query:
            match = _EXPAND.match(query["$expand"])
            if not match:
                raise GraphReply(400, "BadRequest", "Unsupported $expand.")
            expand = _prop_key(match.group(1).replace("''", "'"))
        rows = []
        for message in items:
            row = _select(_public(message, prefer), query)
            if expand is not None:
                row["singleValueExtendedProperties"] = [
                    p for k, p in message["_props"].items() if k == expand]
            rows.append(row)
        return _paged(self.base + path, rows, query)


def _folder(name_or_id: str) -> str:
    """A folder's well-known name from that name (any case) or from its opaque id."""
    for folder in FOLDERS:
        if name_or_id.lower() == folder or name_or_id == folder_id(folder):
            return folder
    raise GraphReply(404, "ErrorInvalidIdMalformed", f"Unknown folder {name_or_id}.")


def prop(message: dict[str, Any], property_id: str) -> Any:
    """The value of one extended property of a stored message (None when absent)."""
    found = message["_props"].get(_prop_key(property_id))
    return None if found is None else found["value"]


def _prop_key(property_id: str) -> str:
    """A property id as Exchange compares it: type and GUID in any case, the Name exactly."""
    kind, _, rest = property_id.partition(" ")
    guid, _, name = rest.partition(" Name ")
    return f"{kind.lower()} {guid.lower()} Name {name}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise GraphReply(400, "ErrorInvalidParameter", "Times need an offset.")
    return moment


def _overlaps(event: dict[str, Any], window: dict[str, Any]) -> bool:
    return bool(event["start"] < window["end"] and event["end"] > window["start"])


def _page_size(prefer: str) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    return max(1, int(match.group(1))) if match else DEFAULT_PAGE


def _render(event: dict[str, Any], prefer: str, full: bool) -> dict[str, Any]:
    match = re.search(r'outlook\.timezone="([^"]+)"', prefer)
    zone_name = match.group(1) if match else event["_zone"]
    zone = ZoneInfo(WINDOWS_ZONES.get(zone_name, zone_name))

    def when(moment: datetime) -> dict[str, str]:
        days = event.get("_days")
        if days:
            day = days[0] if moment == event["start"] else days[1]
            return {"dateTime": f"{day.isoformat()}T00:00:00.0000000", "timeZone": zone_name}
        local = moment.astimezone(zone).replace(tzinfo=None)
        return {"dateTime": local.isoformat(timespec="microseconds") + "0",
                "timeZone": zone_name}

    out = {"@odata.etag": event.get("_etag", 'W/"0"'), "id": _wire_id(event, prefer),
           "type": event["type"], "seriesMasterId": event["seriesMasterId"],
           "start": when(event["start"]), "end": when(event["end"])}
    if full:
        out.update({k: v for k, v in event.items()
                    if not k.startswith("_") and k not in ("id", "start", "end")})
        out["start"], out["end"] = when(event["start"]), when(event["end"])
        body = event.get("body") or {}
        if 'outlook.body-content-type="text"' in prefer and body.get("contentType") == "html":
            text = unescape(re.sub(r"<[^>]+>", " ", str(body.get("content", ""))))
            out["body"] = {"contentType": "text", "content": " ".join(text.split())}
    return json.loads(json.dumps(out, default=str))


def _public(message: dict[str, Any], prefer: str) -> dict[str, Any]:
    return {**{k: v for k, v in message.items() if not k.startswith("_")},
            "id": _wire_id(message, prefer),
            "parentFolderId": folder_id(message["_folder"])}


def _regular_id(immutable: str, generation: int) -> str:
    """The regular (REST) id of an item: another string, and new after every move."""
    digest = hashlib.sha256(f"{immutable}/{generation}".encode()).digest()
    return "AAMkAGRl" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _wire_id(item: dict[str, Any], prefer: str) -> str:
    """The id Graph shows: immutable only when asked for with Prefer: IdType="ImmutableId"."""
    if 'idtype="immutableid"' in prefer.lower():
        return str(item["id"])
    return _regular_id(str(item["id"]), int(item.get("_gen", 0)))


def _by_id(items: dict[str, dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    """An item by its immutable or its current regular id (Graph takes either)."""
    found = items.get(wanted)
    if found is None:
        found = next((i for i in items.values()
                      if _regular_id(str(i["id"]), int(i.get("_gen", 0))) == wanted), None)
    return found


def _select(item: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    fields = query.get("$select")
    if not fields:
        return item
    wanted = {f.strip() for f in fields.split(",")} | {"id", "@odata.etag"}
    return {k: v for k, v in item.items() if k in wanted}


def _paged(url: str, rows: list[dict[str, Any]], query: dict[str, str],
           render: Any = None) -> dict[str, Any]:
    """One page of `rows`; `render` (if given) turns only that page's rows into items."""
    top = min(int(query.get("$top", DEFAULT_PAGE)), MAX_PAGE)
    skip = int(query.get("$skip", 0))
    chunk = rows[skip:skip + top]
    reply: dict[str, Any] = {"value": [render(r) for r in chunk] if render else chunk}
    if skip + top < len(rows):
        rest = {k: v for k, v in query.items() if k != "$skip"}
        from urllib.parse import urlencode
        reply["@odata.nextLink"] = f"{url}?{urlencode({**rest, '$skip': skip + top})}"
    return reply
