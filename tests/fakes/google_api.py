"""The HTTP side of the fake Google server: routing, faults, Calendar v3 and Gmail v1."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from datetime import datetime
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.google import (
    _CAL_READ,
    _DRAFT_READ,
    _DRAFT_WRITE,
    _MAIL_READ,
    _SYNC_INCOMPATIBLE,
    METADATA,
    ApiError,
    Recorded,
    drop,
    json_body,
)
from tests.fakes.google_data import new_id, parse_fields

if TYPE_CHECKING:
    from tests.fakes.google import FakeGoogle

Answer = tuple[int, Any]
_CAL_EVENTS = re.compile(r"^/calendar/v3/calendars/([^/]+)/events(?:/([^/]+))?$")
_GMAIL = re.compile(
    r"^/gmail/v1/users/([^/]+)/(profile|drafts|threads|messages|history)(?:/([^/]+))?$")


def make_handler(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to `fake`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self.handle_api("GET")

        def do_POST(self) -> None:
            self.handle_api("POST")

        def do_DELETE(self) -> None:
            self.handle_api("DELETE")

        def do_PUT(self) -> None:
            self.handle_api("PUT")

        def handle_api(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = Recorded(method, parts.path, query, bytes_in=len(body))
            with fake.lock:
                fake.requests.append(rec)
            fault = fake.take_fault(method, parts.path)
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                drop(self.connection)
                return
            if fault is not None and fault.kind == "status":
                self.send_error_json(rec, ApiError(
                    fault.status, fault.reason, "fault injected by the test",
                    {"Retry-After": fault.retry_after} if fault.retry_after else None))
                return
            if fault is not None and fault.kind == "malformed":
                self.send(rec, 200, b'{"kind": "truncated", "items": [', "application/json")
                return
            try:
                fields = (query.get("fields") or [None])[0]
                if fields:
                    try:
                        parse_fields(fields)
                    except ValueError as err:
                        raise ApiError(400, "invalidParameter",
                                       f"Invalid field selection: {err}") from None
                status, payload, extra = route(fake, method, parts.path, query, body,
                                               self.headers.get("Authorization"))
            except ApiError as err:
                self.send_error_json(rec, err)
                return
            if fault is not None and fault.kind == "commit_then_user_deletes":
                # The draft was stored, the user discarded it at once, and our answer was
                # lost: nothing in the mailbox tells that the draft ever existed.
                if isinstance(payload, dict) and payload.get("id") in fake.mailbox.drafts:
                    fake.user_delete_draft(payload["id"])
                self.close_connection = True
                drop(self.connection)
                return
            if fault is not None and fault.kind == "commit_then_drop":
                self.close_connection = True
                drop(self.connection)
                return
            if fault is not None and fault.kind == "commit_then_status":
                self.send_error_json(rec, ApiError(fault.status, fault.reason,
                                                   "fault injected after the change"))
                return
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if status == 302:
                self.send(rec, 302, b"", "text/plain", {"Location": payload})
            elif isinstance(payload, bytes):
                self.send(rec, status, payload, "application/json", extra)
            else:
                fields = (query.get("fields") or [None])[0]
                self.send(rec, status, json_body(payload, fields) if payload is not None
                          else b"", "application/json", extra)

        def send_error_json(self, rec: Recorded, err: ApiError) -> None:
            self.send(rec, err.status, json.dumps(err.body()).encode(), "application/json",
                      err.headers)

        def send(self, rec: Recorded, status: int, data: bytes, ctype: str,
                 headers: dict[str, str] | None = None) -> None:
            rec.status, rec.bytes_out = status, len(data)
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{ctype}; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the client gave up (timeout)

    return Handler


def route(fake: FakeGoogle, method: str, path: str, query: dict[str, list[str]],
          body: bytes, authorization: str | None) -> tuple[int, Any, dict[str, str]]:
    """Dispatch one request: (status, JSON-able payload or bytes, extra headers)."""
    if path == "/token" and method == "POST":
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        status, payload = fake.token_endpoint(form, authorization)
        return status, payload, {}
    if path == "/o/oauth2/auth" and method == "GET":
        return 302, fake.approve(f"{fake.url}o/oauth2/auth?{urlencode_query(query)}"), {}
    match = _CAL_EVENTS.match(path)
    if match:
        scopes = fake.scopes_of(authorization)
        _need(scopes, _CAL_READ)
        cal_id, event_id = unquote(match[1]), match[2] and unquote(match[2])
        if method != "GET":
            raise ApiError(403, "forbidden", "This fake calendar is read-only.")
        if event_id:
            return 200, events_get(fake, cal_id, event_id, query), {}
        return 200, events_list(fake, cal_id, query), {}
    match = _GMAIL.match(path)
    if match:
        scopes = fake.scopes_of(authorization)
        user, what, item = unquote(match[1]), match[2], match[3] and unquote(match[3])
        if user not in ("me", fake.address):
            raise ApiError(400, "failedPrecondition", "Delegation denied.")
        return gmail(fake, scopes, method, what, item, query, body)
    raise ApiError(404, "notFound", f"Not Found: {path}")


def urlencode_query(query: dict[str, list[str]]) -> str:
    """Re-encode a parsed query."""
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, vs in query.items() for v in vs])


def _need(scopes: frozenset[str], allowed: set[str]) -> None:
    if not scopes & allowed:
        raise ApiError(403, "insufficientPermissions",
                       "Request had insufficient authentication scopes.",
                       info="ACCESS_TOKEN_SCOPE_INSUFFICIENT")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _time(query: dict[str, list[str]], name: str) -> datetime | None:
    text = _one(query, name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "badRequest", f"Bad Request: {name}") from None
    if moment.tzinfo is None:
        raise ApiError(400, "badRequest", f"{name} must be an RFC3339 timestamp with offset")
    return moment


def _page_size(query: dict[str, list[str]], default: int, cap: int) -> int:
    try:
        size = int(_one(query, "maxResults") or default)
    except ValueError:
        raise ApiError(400, "invalid", "Invalid maxResults") from None
    if size < 1:
        raise ApiError(400, "invalid", "Invalid maxResults")
    return min(size, cap)


# -- Calendar v3 -------------------------------------------------------------------------

def events_list(fake: FakeGoogle, cal_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
    """events.list: window or sync token, paged; the sync token on the last page only."""
    with fake.lock:
        cal = fake.calendars.get(cal_id)
        if cal is None:
            raise ApiError(404, "notFound", "Not Found")
        single = _one(query, "singleEvents") == "true"
        page_token = _one(query, "pageToken")
        if page_token is not None:
            try:
                ids, offset, snapshot = fake.page_tokens[page_token]
            except KeyError:
                raise ApiError(400, "invalid", "Invalid page token") from None
        else:
            ids, offset, snapshot = _first_page(fake, cal, query, single), 0, fake.seq
        size = _page_size(query, 250, 2500)
        chunk = ids[offset:offset + size]
        out: dict[str, Any] = {"kind": "calendar#events", "summary": cal_id,
                               "timeZone": "UTC", "accessRole": "reader",
                               "defaultReminders": [], "items": []}
        limit = _attendee_limit(fake, query)
        out["items"] = [_trim_guests(cal.events[i], limit) for i in chunk]
        if offset + size < len(ids):
            token = new_id("p")
            fake.page_tokens[token] = (ids, offset + size, snapshot)
            out["nextPageToken"] = token
        else:
            token = new_id("s")
            fake.sync_tokens[token] = (cal_id, snapshot, cal.generation, str(single))
            out["nextSyncToken"] = token
        return out


def _first_page(fake: FakeGoogle, cal: Any, query: dict[str, list[str]],
                single: bool) -> list[str]:
    sync = _one(query, "syncToken")
    if sync is None:
        return cal.in_window(_time(query, "timeMin"), _time(query, "timeMax"),
                             _one(query, "showDeleted") == "true")
    bad = [p for p in _SYNC_INCOMPATIBLE if p in query]
    if bad:
        raise ApiError(400, "invalid", f"Sync token cannot be used with {', '.join(bad)}.")
    entry = fake.sync_tokens.get(sync)
    if entry is None or entry[0] != cal.id or entry[2] != cal.generation:
        raise ApiError(410, "fullSyncRequired",
                       "Sync token is no longer valid, a full sync is required.")
    if entry[3] != str(single):
        raise ApiError(400, "invalid", "singleEvents must match the initial full sync.")
    ids: list[str] = cal.changed_since(entry[1])
    return ids


def _attendee_limit(fake: FakeGoogle, query: dict[str, list[str]]) -> int | None:
    given = _one(query, "maxAttendees")
    if given is not None:
        return int(given)
    return fake.list_attendee_limit


def _trim_guests(event: dict[str, Any], limit: int | None) -> dict[str, Any]:
    guests = event.get("attendees")
    if limit is None or not guests or len(guests) <= limit:
        return event
    return {**event, "attendees": [a for a in guests if a.get("self")][:limit],
            "attendeesOmitted": True}


def events_get(fake: FakeGoogle, cal_id: str, event_id: str,
               query: dict[str, list[str]]) -> dict[str, Any]:
    """events.get: the full event (a deleted one comes back with status cancelled)."""
    with fake.lock:
        cal = fake.calendars.get(cal_id)
        event = cal.events.get(event_id) if cal else None
        if event is None:
            raise ApiError(404, "notFound", "Not Found")
        given = _one(query, "maxAttendees")
        return _trim_guests(event, int(given) if given else None)


# -- Gmail v1 ----------------------------------------------------------------------------

def gmail(fake: FakeGoogle, scopes: frozenset[str], method: str, what: str, item: str | None,
          query: dict[str, list[str]], body: bytes) -> tuple[int, Any, dict[str, str]]:
    """users.getProfile, users.drafts.*, users.threads.get, users.history.list."""
    box = fake.mailbox
    fmt = _one(query, "format") or "full"
    if fmt in ("full", "raw") and METADATA in scopes and what in ("drafts", "threads",
                                                                  "messages") \
            and item and method == "GET":
        raise ApiError(403, "forbidden", f"Metadata scope doesn't allow format {fmt.upper()}")
    headers = query.get("metadataHeaders")
    with fake.lock:
        if what == "profile":
            _need(scopes, _DRAFT_READ | _MAIL_READ)
            return 200, {"emailAddress": box.address, "messagesTotal": len(box.messages),
                         "threadsTotal": len(box.threads),
                         "historyId": str(box.history_id)}, {}
        if what == "drafts" and item is None and method == "GET":
            _need(scopes, _DRAFT_READ)
            if "q" in query and METADATA in scopes:
                raise ApiError(403, "forbidden", "Metadata scope does not support 'q' parameter")
            return 200, _drafts_page(fake, query), {}
        if what == "drafts" and item is None and method == "POST":
            _need(scopes, _DRAFT_WRITE)
            draft_id, msg = box.create_draft(_raw(body))
            return 200, {"id": draft_id, "message": msg.resource("minimal", None)}, {}
        if what == "drafts" and item is not None:
            _need(scopes, _DRAFT_READ if method == "GET" else _DRAFT_WRITE)
            if item not in box.drafts:
                raise ApiError(404, "notFound", "Requested entity was not found.")
            if method == "DELETE":
                box.remove_message(box.drafts.pop(item))
                return 204, None, {}
            if method == "PUT":
                # drafts.update replaces the draft's message: same draft id, new message
                # id; it stays in its thread only when the body names that thread.
                raw = _raw(body)
                thread = (json.loads(body).get("message") or {}).get("threadId")
                old = box.draft_message(item)
                box.remove_message(old.id)
                new = box.add_message(raw, ["DRAFT"], thread if thread == old.thread_id
                                      else None)
                del box.drafts[item]
                box.drafts[item] = new.id
                return 200, {"id": item, "message": new.resource("minimal", None)}, {}
            return 200, {"id": item,
                         "message": box.draft_message(item).resource(fmt, headers)}, {}
        if what == "threads" and item is not None and method == "GET":
            _need(scopes, _MAIL_READ)
            ids = box.threads.get(item)
            if not ids:
                raise ApiError(404, "notFound", "Requested entity was not found.")
            return 200, {"id": item, "historyId": str(box.history_id),
                         "messages": [box.messages[m].resource(fmt, headers) for m in ids]}, {}
        if what == "messages" and item is not None and method == "GET":
            _need(scopes, _MAIL_READ)
            if item not in box.messages:
                raise ApiError(404, "notFound", "Requested entity was not found.")
            return 200, box.messages[item].resource(fmt, headers), {}
        if what == "history" and method == "GET":
            _need(scopes, _MAIL_READ)
            return 200, _history(fake, query), {}
    raise ApiError(404, "notFound", "Not Found")


def _raw(body: bytes) -> bytes:
    try:
        data = json.loads(body)
        raw = data["message"]["raw"]
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiError(400, "invalidArgument", "Invalid draft: message.raw is required") \
            from None
    msg = BytesParser(policy=policy.default).parsebytes(decoded)
    if not msg.keys():
        raise ApiError(400, "invalidArgument", "Invalid raw message")
    return decoded


def _drafts_page(fake: FakeGoogle, query: dict[str, list[str]]) -> dict[str, Any]:
    box = fake.mailbox
    page_token = _one(query, "pageToken")
    if page_token is not None:
        try:
            ids, offset, _ = fake.page_tokens[page_token]
        except KeyError:
            raise ApiError(400, "invalid", "Invalid pageToken") from None
    else:
        ids, offset = box.draft_ids_newest_first(), 0
    size = _page_size(query, 100, 500)
    chunk = [d for d in ids[offset:offset + size] if d in box.drafts]
    out: dict[str, Any] = {"drafts": [{"id": d, "message": {
        "id": box.drafts[d], "threadId": box.messages[box.drafts[d]].thread_id}}
        for d in chunk], "resultSizeEstimate": len(ids)}
    if offset + size < len(ids):
        token = new_id("p")
        fake.page_tokens[token] = (ids, offset + size, None)
        out["nextPageToken"] = token
    if not out["drafts"]:
        del out["drafts"]  # Gmail omits empty lists
    return out


_HISTORY_TYPES = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                  "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}


def _history(fake: FakeGoogle, query: dict[str, list[str]]) -> dict[str, Any]:
    box = fake.mailbox
    try:
        start = int(_one(query, "startHistoryId") or "")
    except ValueError:
        raise ApiError(400, "invalidArgument", "startHistoryId is required") from None
    label = _one(query, "labelId")
    types = set(query.get("historyTypes") or _HISTORY_TYPES)  # none given: every type
    records = []
    for change in box.history:
        if change.id <= start or change.kind not in types:
            continue
        if label and label not in change.labels:
            continue
        ref = {"id": change.message_id, "threadId": change.thread_id,
               "labelIds": list(change.labels)}
        entry: dict[str, Any] = {"message": ref}
        if change.label_ids:
            entry["labelIds"] = list(change.label_ids)
        records.append({"id": str(change.id), "messages": [ref],
                        _HISTORY_TYPES[change.kind]: [entry]})
    out: dict[str, Any] = {"historyId": str(box.history_id)}
    if records:
        out["history"] = records
    return out
