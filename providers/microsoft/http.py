"""Microsoft Graph over plain requests: timeouts, bounded retries, HTTP faults mapped once.

Every Graph call of the Microsoft provider goes through `GraphClient.request`: it adds
the bearer token (refreshed once on a 401), waits out 429/503/504 as `Retry-After` says
(else exponential backoff, bounded), never blindly repeats a write whose outcome is
unknown, and turns statuses into the error tree in `error_for` — the one place that
knows what a Graph status means.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from afterword.daemon.errors import (
    AuthExpired,
    ProviderError,
    SyncTokenExpired,
    TransientError,
    one_line,
)
from afterword.providers.base import MaybeApplied, NotFound
from afterword.providers.retry import backoff, parse_retry_after

log = logging.getLogger(__name__)

TIMEOUT = (10.0, 60.0)  # connect, read: seconds
MAX_ATTEMPTS = 4
MAX_WAIT = 120.0  # a longer Retry-After is left to a later cycle instead of blocking this one
BATCH_LIMIT = 20  # Graph's JSON batching limit
_RETRYABLE = {429, 500, 502, 503, 504}
PERMISSIONS_HINT = ("the app registration needs the delegated permissions Calendars.Read, "
                    "Mail.ReadWrite and User.Read")


class GraphError(ProviderError):
    """Graph answered with an error that retrying will not fix."""

    def __init__(self, message: str, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GraphFault(TransientError):
    """A server-side fault or throttling (5xx, 429): may clear by itself; carries the status."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status


class TokenSource(Protocol):
    """Something that yields an access token for Graph."""

    def token(self, force_refresh: bool = False) -> str:
        """A bearer token; a fresh one from the authority when `force_refresh`."""


@dataclass(frozen=True)
class BatchItem:
    """One GET inside a JSON batch (a path relative to the version root)."""

    url: str
    prefer: tuple[str, ...] = ()


@dataclass
class BatchOutcome:
    """The answer to one batch item: a body, or the error it maps to."""

    body: Any = None
    error: ProviderError | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    return parse_retry_after(next(
        (value for name, value in headers.items() if name.lower() == "retry-after"), None))


def error_for(status: int, payload: Any, headers: Mapping[str, str], account: str,
              what: str) -> ProviderError:
    """The error a Graph status means — the single place that maps statuses."""
    error = payload.get("error") if isinstance(payload, Mapping) else None
    code = str(error.get("code", "")) if isinstance(error, Mapping) else ""
    message = one_line(error.get("message", "")) if isinstance(error, Mapping) else ""
    detail = f"{status} {code}".strip() + (f": {message}" if message else "")
    if status == 401:
        return AuthExpired(account, "Microsoft Graph refused the sign-in")
    if status == 403:
        return GraphError(f"{what}: access denied ({detail}); {PERMISSIONS_HINT}", status, code)
    if status == 404:
        return NotFound(f"{what}: not found ({detail})", status, code)
    if status == 410:
        return SyncTokenExpired(f"{what}: sync state expired ({detail})")
    if status in _RETRYABLE or status >= 500:
        return GraphFault(f"{what}: Microsoft Graph is busy or failing ({detail})", status,
                          retry_after=_retry_after(headers))
    return GraphError(f"{what}: Microsoft Graph error {detail}", status, code)


class GraphClient:
    """A Graph v1.0 endpoint for one signed-in account."""

    def __init__(
        self,
        base: str,
        tokens: TokenSource,
        *,
        account: str,
        session: requests.Session | None = None,
        verify: str | bool = True,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self.base = base.rstrip("/")
        self._origin = urlsplit(self.base)[:2]
        self.tokens = tokens
        self.account = account
        self.session = session or requests.Session()
        self.verify = verify
        self.sleep = sleep
        self.timeout = timeout
        self.batch_supported = True

    def url(self, path_or_url: str) -> str:
        """An absolute URL; links Graph hands back must point at the same host."""
        if path_or_url.startswith(("https://", "http://")):
            if urlsplit(path_or_url)[:2] != self._origin:
                # Never send the bearer token anywhere but the configured endpoint.
                raise ProviderError(f"account '{self.account}': Graph returned a link to "
                                    f"another host ({urlsplit(path_or_url).netloc})")
            return path_or_url
        return self.base + path_or_url

    def get(self, path: str, params: Mapping[str, str] | None = None,
            prefer: Sequence[str] = ()) -> Any:
        """GET a resource (retried when it is safe)."""
        return self.request("GET", path, params=params, prefer=prefer)

    def pages(self, path: str, params: Mapping[str, str] | None = None,
              prefer: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """Every page of a collection, following @odata.nextLink."""
        page = self.get(path, params, prefer)
        while True:
            yield page
            link = page.get("@odata.nextLink") if isinstance(page, dict) else None
            if not link:
                return
            page = self.get(link, None, prefer)

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                body: Any = None, prefer: Sequence[str] = (), idempotent: bool | None = None,
                what: str = "") -> Any:
        """One call with retries; JSON body (or None) on success, a mapped error otherwise."""
        url = self.url(path)
        safe = method in ("GET", "HEAD") if idempotent is None else idempotent
        what = what or f"{method} {urlsplit(url).path.removeprefix(urlsplit(self.base).path)}"
        headers = {"Accept": "application/json"}
        if prefer:
            headers["Prefer"] = ", ".join(prefer)
        force = False
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            headers["Authorization"] = f"Bearer {self.tokens.token(force_refresh=force)}"
            force = False
            try:
                resp = self.session.request(method, url, params=params, json=body,
                                            headers=headers, timeout=self.timeout,
                                            verify=self.verify)
            except (requests.Timeout, requests.ConnectionError) as err:
                kind = "timed out" if isinstance(err, requests.Timeout) else "connection failed"
                if not safe:
                    raise MaybeApplied(f"{what}: {kind}") from err
                if attempt == MAX_ATTEMPTS:
                    raise TransientError(f"{what}: {kind} ({attempt} attempts)") from err
                self._wait(None, attempt, what)
                continue
            except requests.RequestException as err:
                raise TransientError(f"{what}: {one_line(err)}") from err
            status = resp.status_code
            if status < 300:
                data = _json(resp)
                if data is not None or not resp.content:
                    return data
                # A 2xx whose body is not JSON (cut off by a proxy or a dropped stream):
                # the request may have worked, but the answer is unusable.
                if not safe:
                    raise MaybeApplied(f"{what}: the answer was not valid JSON")
                if attempt == MAX_ATTEMPTS:
                    raise TransientError(f"{what}: the answer was not valid JSON "
                                         f"({attempt} attempts)")
                self._wait(None, attempt, what)
                continue
            payload = _json(resp)
            if status == 401 and not refreshed:
                # msal hands out a cached token the server may already have revoked.
                refreshed = force = True
                continue
            if status in _RETRYABLE:
                wait = _retry_after(resp.headers)
                if status != 429 and not safe:
                    # A throttled request (429) was not executed; a 5xx write may have been.
                    raise MaybeApplied(f"{what}: server error {status}", retry_after=wait)
                if attempt < MAX_ATTEMPTS and (wait is None or wait <= MAX_WAIT):
                    self._wait(wait, attempt, what)
                    continue
            raise error_for(status, payload, resp.headers, self.account, what)
        raise TransientError(f"{what}: gave up after {MAX_ATTEMPTS} attempts")

    def _wait(self, retry_after: float | None, attempt: int, what: str) -> None:
        delay = backoff(attempt, retry_after, first=1.0, cap=30.0)
        log.info("account %s: %s: retrying in %.0fs", self.account, what, delay)
        self.sleep(delay)

    def batch(self, items: Sequence[BatchItem], what: str = "batch") -> list[BatchOutcome]:
        """Many GETs, 20 per $batch request; each item succeeds or fails on its own."""
        outcomes = [BatchOutcome() for _ in items]
        for start in range(0, len(items), BATCH_LIMIT):
            chunk = list(range(start, min(start + BATCH_LIMIT, len(items))))
            if self.batch_supported:
                try:
                    self._batch_chunk(items, chunk, outcomes, what)
                    continue
                except (GraphError, NotFound) as err:
                    if err.status not in (400, 404, 405, 501):
                        raise
                    # An endpoint without JSON batching (some proxies, sovereign
                    # deployments): ask one by one from now on.
                    log.info("account %s: $batch refused (%s); asking one by one",
                             self.account, err)
                    self.batch_supported = False
            for index in chunk:
                outcomes[index] = self.single(items[index], what)
        return outcomes

    def single(self, item: BatchItem, what: str = "read") -> BatchOutcome:
        """One batch item asked on its own; its error is returned, not raised."""
        try:
            return BatchOutcome(body=self.get(item.url, None, item.prefer))
        except AuthExpired:
            raise
        except ProviderError as err:
            return BatchOutcome(error=err)

    def _batch_chunk(self, items: Sequence[BatchItem], pending: list[int],
                     outcomes: list[BatchOutcome], what: str) -> None:
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            requests_ = []
            for index in pending:
                entry: dict[str, Any] = {"id": str(index), "method": "GET",
                                         "url": items[index].url}
                if items[index].prefer:
                    entry["headers"] = {"Prefer": ", ".join(items[index].prefer)}
                requests_.append(entry)
            reply = self.request("POST", "/$batch", body={"requests": requests_},
                                 idempotent=True, what=what)
            answers = {str(r.get("id")): r for r in (reply or {}).get("responses", [])
                       if isinstance(r, dict)}
            retry: list[int] = []
            waits: list[float] = []
            unauthorized = False
            for index in pending:
                answer = answers.get(str(index))
                if answer is None:
                    retry.append(index)
                    continue
                status = int(answer.get("status", 500))
                headers = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
                body = answer.get("body")
                if status < 300:
                    outcomes[index] = BatchOutcome(body=body, headers=headers)
                    continue
                outcomes[index] = BatchOutcome(error=error_for(
                    status, body, headers, self.account, f"{what} item"))
                if status in _RETRYABLE:
                    retry.append(index)
                    wait = _retry_after(headers)
                    if wait is not None:
                        waits.append(wait)
                elif status == 401 and not refreshed:
                    retry.append(index)
                    unauthorized = True
            if not retry:
                return
            wait = max(waits) if waits else None
            if attempt == MAX_ATTEMPTS or (wait is not None and wait > MAX_WAIT):
                return  # the items keep their mapped errors
            if unauthorized:
                refreshed = True
                self.tokens.token(force_refresh=True)
            else:
                self._wait(wait, attempt, what)
            pending = retry


def _json(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None
