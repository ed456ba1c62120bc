"""Google API plumbing: service objects for an endpoint, and the ONE place faults are mapped.

Every request goes through `GoogleApi.call`, which retries what is worth retrying
(5xx, 429, rate-limit 403s, timeouts, dropped connections) with exponential backoff and
jitter, honours Retry-After (googleapiclient ignores it), and turns everything else into
the errors of `afterword.daemon.errors`.
"""

from __future__ import annotations

import http.client
import logging
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from afterword.daemon.errors import AfterwordError, AuthExpired, ProviderError, TransientError

if TYPE_CHECKING:
    from afterword.providers.google.auth import StoredCredentials
from afterword.providers.base import MaybeApplied, NotFound
from afterword.providers.retry import backoff, parse_retry_after

log = logging.getLogger(__name__)

_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded",
                 "RATE_LIMIT_EXCEEDED"}
_SCOPE_REASONS = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
_MAX_WAIT = 30.0  # longer Retry-After waits end the cycle instead of blocking it


class Gone(ProviderError):
    """410: for Calendar, the sync token expired (fullSyncRequired)."""


class GoogleApi:
    """Calendar and Gmail service objects for one account, and the retrying call."""

    def __init__(self, account: str, endpoint: str, creds: StoredCredentials, *,
                 timeout: float = 60.0, attempts: int = 4,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.account = account
        self.endpoint = endpoint
        self.creds = creds
        self.timeout = timeout
        self.attempts = attempts
        self.sleep = sleep
        self._calendar: Any = None
        self._gmail: Any = None
        self._events: Any = None
        self._drafts: Any = None

    def _http(self) -> Any:
        import google_auth_httplib2
        import httplib2

        return google_auth_httplib2.AuthorizedHttp(
            self.creds.load(), http=httplib2.Http(timeout=self.timeout))

    @property
    def calendar(self) -> Any:
        """The Calendar v3 service (static discovery document, our endpoint)."""
        if self._calendar is None:
            from googleapiclient.discovery import build

            self._calendar = build(
                "calendar", "v3", http=self._http(), static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": self.endpoint + "calendar/v3/"})
        return self._calendar

    @property
    def gmail(self) -> Any:
        """The Gmail v1 service (its paths already start with gmail/v1/)."""
        if self._gmail is None:
            from googleapiclient.discovery import build

            self._gmail = build(
                "gmail", "v1", http=self._http(), static_discovery=True,
                cache_discovery=False, client_options={"api_endpoint": self.endpoint})
        return self._gmail

    @property
    def events(self) -> Any:
        """calendar.events(), built once: each build walks the discovery document (~5 ms
        of CPU), too much for an idle cycle."""
        if self._events is None:
            self._events = self.calendar.events()
        return self._events

    @property
    def drafts(self) -> Any:
        """gmail.users().drafts(), built once (see `events`)."""
        if self._drafts is None:
            self._drafts = self.gmail.users().drafts()
        return self._drafts

    def oneshot_http(self) -> Any:
        """An authorised HTTP object that never resends a request by itself (for writes)."""
        import google_auth_httplib2

        return google_auth_httplib2.AuthorizedHttp(self.creds.load(),
                                                   http=OneShotHttp(self.timeout))

    def call(self, request: Any, what: str, *, idempotent: bool = True,
             http: Any = None) -> dict[str, Any]:
        """Execute `request` with retries; its JSON object, or one of our errors.

        A non-idempotent request (drafts.create) is never retried after a fault that may
        have reached the server: `MaybeApplied` tells the caller to look before trying again.
        """
        for attempt in range(1, self.attempts + 1):
            try:
                try:
                    result = request.execute(http=http, num_retries=0)
                finally:
                    self.creds.save_if_refreshed()
            except AfterwordError:
                raise  # ours already (no credentials, no keyring): nothing to map
            except Exception as err:
                mapped, retry = self.map_error(err, what, idempotent)
                if isinstance(mapped, AuthExpired):
                    # `afterword auth` may store new credentials while the daemon runs:
                    # read them again next time instead of reusing the refused ones.
                    self.creds.forget()
                    self._calendar = self._gmail = self._events = self._drafts = None
                if not retry or attempt == self.attempts:
                    raise mapped from err
            else:
                if isinstance(result, dict):
                    return result
                # googleapiclient hands back the raw body when a 200 is not JSON; a write
                # may still have happened (a proxy mangled the answer).
                mapped = MaybeApplied(f"{what}: Google answered with something that is not "
                                   "JSON")
                if not idempotent or attempt == self.attempts:
                    raise mapped
            wait = self._backoff(attempt, mapped)
            if wait > _MAX_WAIT:
                raise mapped
            log.info("%s: %s; retrying in %.1fs", what, mapped, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def _backoff(attempt: int, err: Exception) -> float:
        return backoff(attempt, getattr(err, "retry_after", None), first=0.5, cap=_MAX_WAIT,
                       jitter=True)

    def map_error(self, err: Exception, what: str,
                  idempotent: bool) -> tuple[Exception, bool]:
        """Our error for a library exception, and whether to retry the request as is."""
        from google.auth import exceptions as auth_errors
        from googleapiclient.errors import HttpError

        if isinstance(err, auth_errors.RefreshError):
            # invalid_grant: revoked, expired (Testing apps: 7 days), or password changed.
            text = str(err.args[0]) if err.args else str(err)
            if "invalid_grant" in text or "invalid_client" in text or "unauthorized" in text:
                return AuthExpired(self.account, "Google refused the refresh token"), False
            return TransientError(f"{what}: token refresh failed: {text[:120]}"), idempotent
        if isinstance(err, auth_errors.TransportError):
            return TransientError(f"{what}: cannot reach the token endpoint"), True
        if isinstance(err, HttpError):
            return self._map_http(err, what, idempotent)
        if isinstance(err, (TimeoutError, socket.timeout)):
            return MaybeApplied(f"{what}: timed out"), idempotent
        if isinstance(err, (ConnectionError, http.client.HTTPException, OSError)):
            return MaybeApplied(f"{what}: connection failed ({type(err).__name__})"), idempotent
        import httplib2

        if isinstance(err, httplib2.HttpLib2Error):
            return MaybeApplied(f"{what}: connection failed ({type(err).__name__})"), idempotent
        return err, False

    def _map_http(self, err: Any, what: str, idempotent: bool) -> tuple[Exception, bool]:
        status = int(err.resp.status)
        reasons = _reasons(err.content)
        message = f"{what}: HTTP {status} {str(err.reason)[:160]}".rstrip()
        if status == 401:
            # The library already refreshed once and retried: the grant itself is bad.
            return AuthExpired(self.account, "Google rejected the access token"), False
        if status == 429 or (status == 403 and reasons & _RATE_REASONS):
            return TransientError(message, retry_after=_retry_after(err.resp)), True
        if status == 403 and reasons & _SCOPE_REASONS:
            return AuthExpired(self.account, f"{what} needs a scope the sign-in lacks"), False
        if status == 404:
            return NotFound(message), False
        if status == 410:
            return Gone(message), False
        if status >= 500:
            return MaybeApplied(message, retry_after=_retry_after(err.resp)), idempotent
        return ProviderError(message), False


def _reasons(content: Any) -> set[str]:
    """Every `reason` in a Google error body: v1 `errors[]` and v2 `details[]` alike."""
    import json

    try:
        error = json.loads(content)["error"]
    except (ValueError, KeyError, TypeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = set()
    for key in ("errors", "details"):
        for item in error.get(key) or ():
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                found.add(item["reason"])
    return found


def _retry_after(resp: Any) -> float | None:
    return parse_retry_after(resp.get("retry-after") if hasattr(resp, "get") else None)


class OneShotHttp:
    """The slice of httplib2.Http that googleapiclient uses, sending each request once.

    httplib2 silently resends a request whose connection dropped before the answer
    (meant for stale keep-alive sockets); for drafts.create that would make a second
    draft when the first one was stored. This sends on a fresh connection, exactly once.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.redirect_codes: frozenset[int] = frozenset()

    def request(self, uri: str, method: str = "GET", body: Any = None,
                headers: dict[str, str] | None = None, redirections: int = 0,
                connection_type: Any = None) -> tuple[Any, bytes]:
        """Send once; an httplib2.Response and the body."""
        import ssl
        from urllib.parse import urlsplit

        import httplib2

        parts = urlsplit(uri)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=httplib2.CA_CERTS)
            conn = http.client.HTTPSConnection(parts.netloc, timeout=self.timeout,
                                               context=context)
        else:
            conn = http.client.HTTPConnection(parts.netloc, timeout=self.timeout)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, target, body=body, headers=headers or {})
            raw = conn.getresponse()
            content = raw.read()
            response = httplib2.Response(raw)
        finally:
            conn.close()
        return response, content
