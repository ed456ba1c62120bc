"""CalDAV calendars (python-caldav): a time-range query at first, then sync tokens.

A full read discovers the calendars (current-user-principal, calendar-home-set, the
collections that hold VEVENTs), asks each for its `DAV:sync-token` (and CalendarServer's
`getctag`) in one PROPFIND, then runs one time-range `calendar-query` over the window
plus a day. Later reads send each token in a `sync-collection` REPORT (RFC 6578): an
idle cycle is one small REPORT per calendar and nothing else, even in a fresh process,
because the calendar URLs live in the cursor. Changed objects are fetched in one
`calendar-multiget`; their occurrences are expanded by the same code as local .ics files.

A server without sync-collection is asked for its ctag instead (one PROPFIND per
calendar), and without ctag for the members' ETags (one depth-1 PROPFIND): any change
means a full read. An expired token (DAV:valid-sync-token) means a full read, as does a
day gone by (so events sliding into the window are seen, as with Google).

The cursor also maps each object's href to the event ids it gave, so a deleted or
edited object removes exactly the occurrences it no longer has.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any

from afterword.daemon.errors import AuthExpired, InputError, ProviderError, TransientError
from afterword.daemon.model import CalendarEvent, EventStatus
from afterword.providers.base import CalendarSource, ChangeSet, Lookup, Window
from afterword.providers.caldav.http import CalDavFaults, GetCtag
from afterword.providers.local.calendar import IcsCalendar, IcsRead
from afterword.providers.retry import backoff
from afterword.providers.sync_cursor import SyncCursor

log = logging.getLogger(__name__)

RESYNC_EVERY = timedelta(days=1)
_AHEAD = RESYNC_EVERY + timedelta(hours=1)
ATTEMPTS = 4  # reads of one cycle, before the account's error is reported


class NeedFullRead(Exception):
    """The incremental path cannot go on (token expired, calendar gone, server changed)."""


class CalDavCalendar(CalendarSource):
    """The account's CalDAV calendars, through one python-caldav client."""

    def __init__(self, client: Callable[[], Any], faults: CalDavFaults, *, account: str,
                 selection: tuple[str, ...], timezone: tzinfo, my_emails: tuple[str, ...],
                 clock: Callable[[], datetime],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client_factory = client
        self.sleep = sleep
        self._client: Any = None
        self.faults = faults
        self.account = account
        self.selection = selection
        self.timezone = timezone
        self.my_emails = my_emails
        self.clock = clock

    def client(self) -> Any:
        """The DAVClient of this read (made again on each: the password may have changed)."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    # -- reading -----------------------------------------------------------------------

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """A full read when needed, else one sync REPORT per calendar; reads are retried
        (Retry-After honoured) ATTEMPTS times, a refused password once."""
        refused = 0
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._changes(window, cursor)
            except AuthExpired:
                # One 401 can be a glitch of the server's password backend; two are not.
                refused += 1
                if refused >= 2 or attempt >= ATTEMPTS:
                    raise
                wait = 0.0
            except TransientError as err:
                if attempt >= ATTEMPTS:
                    raise
                wait = backoff(attempt, err.retry_after, first=1.0, cap=30.0)
                log.info("account %s: %s; trying again in %.0f s", self.account, err, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _changes(self, window: Window, cursor: str | None) -> ChangeSet:
        self._client = None
        with self.faults.mapped():
            state = SyncCursor.load(cursor)
            now = self.clock()
            if (state is None or not state.tokens or now - state.synced_at >= RESYNC_EVERY
                    or now < state.synced_at or window.start < state.start
                    or window.end > state.end):
                return self._full(window, now)
            try:
                return self._incremental(window, state)
            except NeedFullRead as why:
                log.info("account %s: %s; reading the window again", self.account, why)
                return self._full(window, now)

    def _incremental(self, window: Window, state: SyncCursor) -> ChangeSet:
        from caldav.lib import error

        events: dict[str, CalendarEvent] = {}
        removed: set[str] = set()
        warnings: list[str] = []
        tokens: dict[str, str] = {}
        for url, token in state.tokens.items():
            cal = self._calendar(url)
            kind, _, value = token.partition(":")
            if kind != "sync":
                now_token = self._probe(cal, kind)
                if now_token != token:
                    raise NeedFullRead(f"calendar {url} changed")
                tokens[url] = token
                continue
            try:
                found = cal.get_objects_by_sync_token(value, load_objects=False,
                                                      disable_fallback=True)
            except error.NotFoundError:
                raise NeedFullRead(f"calendar {url} is gone") from None
            except error.AuthorizationError as err:
                if err.status == 401:
                    raise
                raise NeedFullRead("the sync token expired") from None
            deleted = {str(u) for u in found.deleted_urls}
            changed = [o.url for o in found if str(o.url.canonical()) not in deleted]
            for href in deleted:
                removed.update(state.ids.pop(_href(href), []))
            if changed:
                for href, data in self._multiget(cal, changed):
                    read = self._translate(data, href, url, window=Window(
                        state.start, state.end))
                    warnings.extend(read.warnings)
                    before = set(state.ids.pop(href, []))
                    now_ids = [e.id for e in read.events]
                    if now_ids:
                        state.ids[href] = now_ids
                    removed |= (before - set(now_ids)) | set(read.cancelled)
                    for event in read.events:
                        if window.overlaps(event.start, event.end):
                            events.setdefault(event.id, event)
                        else:
                            removed.add(event.id)
            tokens[url] = f"sync:{found.sync_token}"
        state.tokens = tokens
        return ChangeSet(tuple(events.values()), state.dump(), full=False,
                         removed=tuple(sorted(removed - set(events))),
                         warnings=tuple(warnings))

    def _full(self, window: Window, now: datetime) -> ChangeSet:
        span = Window(window.start, window.end + _AHEAD)
        events: dict[str, CalendarEvent] = {}
        cancelled: set[str] = set()
        warnings: list[str] = []
        tokens: dict[str, str] = {}
        ids: dict[str, list[str]] = {}
        for cal in self._discover():
            url = str(cal.url)
            # The token before the query: a change in between is reported again, never lost.
            tokens[url] = self._token(cal)
            for obj in cal.search(start=span.start, end=span.end, event=True, expand=False):
                href = _href(str(obj.url))
                read = self._translate(obj.data, href, url, window=span)
                warnings.extend(read.warnings)
                if read.events:
                    ids[href] = [e.id for e in read.events]
                cancelled.update(read.cancelled)
                for event in read.events:
                    # The same meeting in two calendars is one interview: the first wins.
                    if window.overlaps(event.start, event.end):
                        events.setdefault(event.id, event)
        cursor = SyncCursor(span.start, span.end, now, tokens, ids)
        # With an object unreadable, an interview may hide in it: remove nothing unseen.
        return ChangeSet(tuple(events.values()), cursor.dump(), full=not warnings,
                         removed=tuple(sorted(cancelled - set(events))),
                         warnings=tuple(warnings))

    # -- the server --------------------------------------------------------------------

    def _discover(self) -> list[Any]:
        """The calendars to read: the selection (names or URLs), else all with VEVENTs."""
        from caldav.elements import cdav, dav

        principal = self.client().principal()
        chosen = []
        for cal in principal.calendars():
            props = cal.get_properties([dav.DisplayName(), cdav.SupportedCalendarComponentSet()])
            name = str(props.get(dav.DisplayName.tag) or "")
            comps = props.get(cdav.SupportedCalendarComponentSet.tag)
            holds_events = not comps or "VEVENT" in [str(c) for c in comps]
            url = str(cal.url)
            if self.selection:
                if name in self.selection or url in self.selection or \
                        url.rstrip("/") in {s.rstrip("/") for s in self.selection}:
                    chosen.append(cal)
            elif holds_events:
                chosen.append(cal)
        if self.selection and len(chosen) < len(self.selection):
            missing = sorted(set(self.selection) - {str(c.url) for c in chosen}
                             - {str(c.get_display_name()) for c in chosen})
            raise ProviderError(f"account '{self.account}': CalDAV {self.faults.server}: "
                                f"no calendar named {', '.join(map(repr, missing))[:200]}")
        return chosen

    def _calendar(self, url: str) -> Any:
        from caldav.collection import Calendar

        return Calendar(client=self.client(), url=url)

    def _token(self, cal: Any) -> str:
        """The calendar's change marker: its sync token, else its ctag, else its ETags."""
        from caldav.elements import dav

        props = cal.get_properties([dav.SyncToken(), GetCtag()])
        if props.get(dav.SyncToken.tag):
            return f"sync:{props[dav.SyncToken.tag]}"
        if props.get(GetCtag.tag):
            return f"ctag:{props[GetCtag.tag]}"
        return self._probe(cal, "etags")

    def _probe(self, cal: Any, kind: str) -> str:
        """The current ctag or ETag digest of a calendar without sync-collection."""
        from caldav.elements import dav

        if kind == "ctag":
            return f"ctag:{cal.get_properties([GetCtag()]).get(GetCtag.tag) or ''}"
        response = cal._query_properties([dav.GetEtag()], depth=1)
        etags = response.expand_simple_props([dav.GetEtag()])
        digest = hashlib.sha256()
        for href in sorted(etags):
            digest.update(f"{href}\0{etags[href].get(dav.GetEtag.tag)}\n".encode())
        return f"etags:{digest.hexdigest()[:32]}"

    @staticmethod
    def _multiget(cal: Any, urls: list[Any]) -> Iterator[tuple[str, str]]:
        """(href, iCalendar text) of each changed object, in one calendar-multiget."""
        for obj in cal.multiget(urls):
            yield _href(str(obj.url)), str(obj.data)

    def _translate(self, data: Any, href: str, calendar_url: str, window: Window) -> IcsRead:
        """One calendar object → its occurrences in `window`; a bad object is a warning."""
        reader = IcsCalendar(None, account=self.account, timezone=self.timezone,
                             my_emails=self.my_emails, label=calendar_url)
        read = IcsRead()
        raw = data.encode() if isinstance(data, str) else bytes(data or b"")
        try:
            reader.read_data(raw, f"CalDAV {self.faults.server} {href}", window, read)
        except InputError as err:
            read.warnings.append(str(err))
        read.events = [e for e in read.events if e.status is not EventStatus.CANCELLED]
        return read

    # -- one event ---------------------------------------------------------------------

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event as it is now, or None if deleted or cancelled."""
        found = self.lookup(event_id)
        return found.event if found is not None and not found.cancelled else None

    def lookup(self, event_id: str) -> Lookup | None:
        """The event by UID (and occurrence), cancelled ones included, within 400 days."""
        from caldav.lib import error

        uid = event_id.rsplit("_", 1)[0] if _is_instance_id(event_id) else event_id
        now = self.clock()
        window = Window(now - timedelta(days=400), now + timedelta(days=400))
        self._client = None
        with self.faults.mapped():
            for cal in self._discover():
                for candidate in dict.fromkeys((event_id, uid)):
                    try:
                        obj = cal.get_event_by_uid(candidate)
                    except error.NotFoundError:
                        continue
                    read = self._translate(obj.data, _href(str(obj.url)), str(cal.url), window)
                    if (found := read.lookup(event_id)) is not None:
                        return found
        return None


def _href(url: str) -> str:
    """The path of an object's URL: the key it is known by in the cursor."""
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).path)


def _is_instance_id(event_id: str) -> bool:
    tail = event_id.rsplit("_", 1)[-1]
    return "_" in event_id and len(tail) == 16 and tail.endswith("Z") and "T" in tail
