"""A loopback fake of the Google APIs Afterword uses: Calendar v3, Gmail v1, OAuth 2.0.

It behaves as the public docs describe, never easier: bearer tokens expire (401) and
are refreshed at the token endpoint, refresh tokens can be revoked (invalid_grant),
scopes are enforced (gmail.compose cannot read threads; gmail.metadata refuses `q` and
full formats), events.list pages and hands out `nextSyncToken` on the last page only,
sync tokens refuse window parameters (400) and expire (410 fullSyncRequired), the
incremental results carry cancelled tombstones and are not limited to the first window,
`fields` masks trim answers. The user can edit, send (web UI) and delete drafts, receive
mail and relabel it; each change moves the mailbox historyId (users.getProfile) forward,
as Gmail's history does. Faults come on demand. Every request is recorded (method, path,
query, status, bytes).

Recurring series are seeded as their instances (what `singleEvents=true` returns, ids
`<base>_<YYYYMMDDTHHMMSSZ>` with `recurringEventId`); the fake does not expand RRULEs.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.google_data import Calendar, Mailbox, apply_fields, new_id, parse_fields

CAL = "https://www.googleapis.com/auth/calendar"
CAL_EVENTS_RO = "https://www.googleapis.com/auth/calendar.events.readonly"
COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
METADATA = "https://www.googleapis.com/auth/gmail.metadata"
READONLY = "https://www.googleapis.com/auth/gmail.readonly"
MAIL = "https://mail.google.com/"
_CAL_READ = {CAL, CAL_EVENTS_RO, CAL + ".readonly", CAL + ".events"}
_DRAFT_WRITE = {COMPOSE, MAIL, "https://www.googleapis.com/auth/gmail.modify"}
_DRAFT_READ = _DRAFT_WRITE | {READONLY}
_MAIL_READ = {METADATA, READONLY, MAIL, "https://www.googleapis.com/auth/gmail.modify"}
_SYNC_INCOMPATIBLE = ("iCalUID", "orderBy", "privateExtendedProperty", "q",
                      "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin")


class ApiError(Exception):
    """An error answer in Google's JSON shape."""

    def __init__(self, status: int, reason: str, message: str,
                 headers: dict[str, str] | None = None, info: str = "") -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.headers = headers or {}
        self.info = info  # google.rpc.ErrorInfo reason (Gmail's v2 error details)

    def body(self) -> dict[str, Any]:
        """The error document."""
        error: dict[str, Any] = {
            "code": self.status, "message": self.message,
            "errors": [{"message": self.message, "domain": "global", "reason": self.reason}]}
        if self.info:
            error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                 "reason": self.info, "domain": "googleapis.com"}]
        return {"error": error}


@dataclass
class Fault:
    """A planned misbehaviour for the next `count` matching requests."""

    # status | slow | drop | malformed | commit_then_status | commit_then_drop |
    # commit_then_user_deletes
    kind: str
    method: str | None
    path: re.Pattern[str] | None
    count: int
    status: int = 503
    reason: str = "backendError"
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int = 0
    bytes_in: int = 0
    bytes_out: int = 0


@dataclass
class Client:
    """An OAuth client registered with the fake."""

    id: str
    secret: str


@dataclass
class Grant:
    """A refresh token and what it allows."""

    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class PendingCode:
    """An authorisation code waiting to be exchanged."""

    scopes: frozenset[str]
    redirect_uri: str
    challenge: str
    client_id: str


@dataclass
class FakeGoogle:
    """The fake's state; `serve()` runs it on a loopback port."""

    address: str = "alex@example.com"
    token_lifetime: float = 3600.0
    list_attendee_limit: int | None = None  # events.list cuts bigger guest lists
    calendars: dict[str, Calendar] = field(default_factory=dict)
    mailbox: Mailbox = field(default_factory=lambda: Mailbox("alex@example.com"))
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    url: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)
    client: Client = field(default_factory=lambda: Client(
        new_id("client-") + ".apps.googleusercontent.com", new_id("secret-")))
    grants: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    codes: dict[str, PendingCode] = field(default_factory=dict)
    sync_tokens: dict[str, tuple[str, int, int, str]] = field(default_factory=dict)
    page_tokens: dict[str, tuple[list[str], int, str | None]] = field(default_factory=dict)
    seq: int = 0
    # Every secret handed out or received (codes, verifiers, tokens): none may leak.
    handed_out: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.mailbox.address = self.address
        self.calendars.setdefault("primary", Calendar("primary"))

    # -- seeding and user actions --------------------------------------------------------

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint."""
        return self.url + "token"

    def calendar(self, cal_id: str = "primary") -> Calendar:
        """A calendar, created on first use."""
        return self.calendars.setdefault(cal_id, Calendar(cal_id))

    def put_event(self, event: dict[str, Any], cal_id: str = "primary") -> dict[str, Any]:
        """Add or replace an event as its organiser's calendar would."""
        with self.lock:
            self.seq += 1
            event = {"kind": "calendar#event", "status": "confirmed", "id": new_id(),
                     "iCalUID": "", "etag": f'"{self.seq}"', **event,
                     "updated": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
            if not event["iCalUID"]:
                event["iCalUID"] = f"{event.get('recurringEventId', event['id'])}@google.com"
            self.calendar(cal_id).put(event, self.seq)
            return event

    def delete_event(self, event_id: str, cal_id: str = "primary") -> None:
        """Delete (or cancel) an event: only a tombstone stays, as the docs guarantee."""
        with self.lock:
            old = self.calendar(cal_id).events[event_id]
            tomb = {"id": event_id, "status": "cancelled", "kind": "calendar#event"}
            for key in ("recurringEventId", "originalStartTime"):
                if key in old:
                    tomb[key] = old[key]
            self.seq += 1
            self.calendar(cal_id).put(tomb, self.seq)

    def expire_sync_tokens(self, cal_id: str = "primary") -> None:
        """Every sync token issued so far for the calendar now answers 410."""
        with self.lock:
            self.calendar(cal_id).generation += 1

    def credentials(self, scopes: list[str], *, expired: bool = True) -> dict[str, Any]:
        """Authorised-user JSON (the Credentials.to_json() shape) for a fresh grant."""
        with self.lock:
            refresh = new_id("1//")
            self.grants[refresh] = Grant(frozenset(scopes))
            self.handed_out.add(refresh)
            info: dict[str, Any] = {
                "refresh_token": refresh, "token_uri": self.token_uri,
                "client_id": self.client.id, "client_secret": self.client.secret,
                "scopes": scopes}
            if not expired:
                info["token"] = self._issue_access(frozenset(scopes))
                info["expiry"] = datetime.fromtimestamp(
                    time.time() + self.token_lifetime, UTC).replace(tzinfo=None).isoformat() + "Z"
            return info

    def client_secrets(self, redirect: str = "http://localhost") -> dict[str, Any]:
        """An "installed" client file whose endpoints are this fake."""
        return {"installed": {
            "client_id": self.client.id, "client_secret": self.client.secret,
            "auth_uri": self.url + "o/oauth2/auth", "token_uri": self.token_uri,
            "redirect_uris": [redirect]}}

    def revoke_all(self) -> None:
        """The user removed the app's access: refreshes answer invalid_grant."""
        with self.lock:
            for grant in self.grants.values():
                grant.revoked = True
            self.access.clear()

    def expire_access_tokens(self) -> None:
        """Every access token is now expired (401 until refreshed)."""
        with self.lock:
            self.access = {t: (s, 0.0) for t, (s, _) in self.access.items()}

    def approve(self, auth_url: str, scopes: list[str] | None = None) -> str:
        """The user consents on the auth page: the redirect URL the browser would open."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_url).query).items()}
        if query.get("client_id") != self.client.id:
            raise ValueError("unknown client_id")
        if query.get("code_challenge_method") != "S256":
            raise ValueError("PKCE S256 required")
        granted = frozenset(scopes if scopes is not None else query["scope"].split())
        code = new_id("4/")
        with self.lock:
            self.handed_out.add(code)
            self.codes[code] = PendingCode(granted, query["redirect_uri"],
                                           query["code_challenge"], query["client_id"])
        params = {"state": query.get("state", ""), "code": code, "scope": " ".join(granted)}
        return f"{query['redirect_uri']}?{urlencode(params)}"

    def user_edit_draft(self, draft_id: str, *, subject: str | None = None,
                        new_thread: bool = False, drop_custom_headers: bool = False) -> str:
        """The user saves the draft again: same draft id, new message id (returned)."""
        with self.lock:
            box = self.mailbox
            old = box.draft_message(draft_id)
            msg = old.parsed()
            if subject is not None:
                del msg["Subject"]
                msg["Subject"] = subject
            if drop_custom_headers:
                for name in [k for k in msg if k.lower().startswith("x-")]:
                    del msg[name]
            box.remove_message(old.id)
            new = box.add_message(msg.as_bytes(), ["DRAFT"],
                                  None if new_thread else old.thread_id)
            del box.drafts[draft_id]
            box.drafts[draft_id] = new.id  # most recently saved first
            return new.id

    def user_send_draft(self, draft_id: str, *, drop_custom_headers: bool = False) -> str:
        """Sent from the web UI: the draft disappears, a SENT message joins its thread."""
        with self.lock:
            box = self.mailbox
            old = box.draft_message(draft_id)
            msg = old.parsed()
            if drop_custom_headers:
                for name in [k for k in msg if k.lower().startswith("x-")]:
                    del msg[name]
            del box.drafts[draft_id]
            thread = old.thread_id
            box.remove_message(old.id)
            box.threads.setdefault(thread, [])
            return box.add_message(msg.as_bytes(), ["SENT"], thread).id

    def user_delete_draft(self, draft_id: str) -> None:
        """Discarded in the web UI."""
        with self.lock:
            message_id = self.mailbox.drafts.pop(draft_id)
            self.mailbox.remove_message(message_id)

    def deliver(self, sender: str = "recruiter@acme.com", subject: str = "Next steps",
                thread_id: str | None = None) -> str:
        """Mail arrives in the inbox (a new thread unless `thread_id`): its message id."""
        raw = (f"From: {sender}\r\nTo: {self.address}\r\nSubject: {subject}\r\n\r\n"
               "Hello\r\n").encode()
        with self.lock:
            return self.mailbox.add_message(raw, ["INBOX", "UNREAD"], thread_id).id

    def user_label(self, message_id: str, add: tuple[str, ...] = (),
                   remove: tuple[str, ...] = ()) -> None:
        """The user reads, stars, archives… a message: labels change."""
        with self.lock:
            self.mailbox.relabel(message_id, add, remove)

    def fault(self, kind: str, *, path: str | None = None, method: str | None = None,
              count: int = 1, status: int = 503, reason: str = "backendError",
              retry_after: str | None = None, delay: float = 0.0) -> None:
        """Misbehave for the next `count` requests matching `method` and `path` (regex)."""
        with self.lock:
            self.faults.append(Fault(kind, method, re.compile(path) if path else None, count,
                                     status, reason, retry_after, delay))

    # -- what was asked ------------------------------------------------------------------

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """Recorded requests matching `method` and a `path` regex (search)."""
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (path is None or re.search(path, r.path))]

    def reset_log(self) -> None:
        """Forget recorded requests."""
        with self.lock:
            self.requests.clear()

    @property
    def bytes_out(self) -> int:
        """Bytes of every answer body so far."""
        return sum(r.bytes_out for r in self.requests)

    def drafts(self) -> dict[str, Any]:
        """Draft id → parsed message, as the user would see them."""
        with self.lock:
            return {d: self.mailbox.messages[m].parsed() for d, m in self.mailbox.drafts.items()}

    # -- serving -------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[FakeGoogle]:
        """Run on 127.0.0.1 in a thread for the `with` block."""
        from tests.fakes.google_api import make_handler

        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self))
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_port}/"
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first planned fault matching this request (consumed)."""
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and (fault.method in (None, method)) and (
                        fault.path is None or fault.path.search(path)):
                    fault.count -= 1
                    return fault
        return None

    # -- OAuth ---------------------------------------------------------------------------

    def _issue_access(self, scopes: frozenset[str]) -> str:
        token = new_id("ya29.")
        self.access[token] = (scopes, time.time() + self.token_lifetime)
        self.handed_out.add(token)
        return token

    def token_endpoint(self, form: dict[str, str],
                       authorization: str | None = None) -> tuple[int, dict[str, Any]]:
        """POST /token: refresh_token and authorization_code grants.

        The client authenticates in the form or with HTTP Basic, as Google accepts both.
        """
        if authorization and authorization.startswith("Basic "):
            from urllib.parse import unquote_plus

            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            form = {**form, "client_id": unquote_plus(user),
                    "client_secret": unquote_plus(password)}
        if form.get("client_id") != self.client.id or \
                form.get("client_secret") != self.client.secret:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        grant_type = form.get("grant_type")
        with self.lock:
            if grant_type == "refresh_token":
                grant = self.grants.get(form.get("refresh_token", ""))
                if grant is None or grant.revoked:
                    return 400, {"error": "invalid_grant",
                                 "error_description": "Token has been expired or revoked."}
                return 200, {"access_token": self._issue_access(grant.scopes),
                             "expires_in": int(self.token_lifetime),
                             "scope": " ".join(sorted(grant.scopes)), "token_type": "Bearer"}
            if grant_type == "authorization_code":
                pending = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                self.handed_out.add(verifier)
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                if pending is None or pending.redirect_uri != form.get("redirect_uri") \
                        or pending.challenge != challenge:
                    return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
                refresh = new_id("1//")
                self.grants[refresh] = Grant(pending.scopes)
                self.handed_out.add(refresh)
                return 200, {"access_token": self._issue_access(pending.scopes),
                             "refresh_token": refresh, "expires_in": int(self.token_lifetime),
                             "scope": " ".join(sorted(pending.scopes)),
                             "token_type": "Bearer"}
        return 400, {"error": "unsupported_grant_type"}

    def scopes_of(self, authorization: str | None) -> frozenset[str]:
        """The scopes of a valid bearer token; ApiError 401 otherwise."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self.lock:
            entry = self.access.get(token)
        if entry is None or entry[1] <= time.time():
            raise ApiError(401, "authError", "Request had invalid authentication credentials.",
                           {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        return entry[0]


def drop(sock: socket.socket) -> None:
    """Close a connection without answering (a reset, as a dying proxy would)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def json_body(data: Any, fields: str | None) -> bytes:
    """Serialise an answer, trimmed by a `fields` mask."""
    if fields:
        data = apply_fields(data, parse_fields(fields))
    return json.dumps(data).encode()
