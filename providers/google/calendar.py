"""Google Calendar v3: the window's events, then only what changed (sync tokens).

A full read lists the window (`singleEvents`, `timeMin`/`timeMax`, paged, `fields`-masked)
for every configured calendar and keeps each calendar's `nextSyncToken` (last page only).
Later reads send the sync token alone: an idle cycle is one small request per calendar.
The tokens and the span they were made for live in the one cursor string we return.
A token is frozen to its span, so the whole window is read again at least daily, when the
window outgrows the span, and when Google answers 410 (fullSyncRequired). An unchanged
event that slides into the far end of the window is therefore seen within a day, long
before it can be due for a note (notes concern interviews that already ended).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from afterword.daemon.errors import InputError, ProviderError
from afterword.daemon.model import CalendarEvent
from afterword.providers.base import CalendarSource, ChangeSet, Lookup, NotFound, Window
from afterword.providers.google.events import event_from_google
from afterword.providers.google.http import Gone, GoogleApi
from afterword.providers.series import SeriesGuard
from afterword.providers.sync_cursor import SyncCursor

log = logging.getLogger(__name__)

RESYNC_EVERY = timedelta(days=1)
# The span read ahead of the window's end, so the sliding window stays covered by the
# sync tokens until the next daily resync.
_AHEAD = RESYNC_EVERY + timedelta(hours=1)
ITEM_FIELDS = (
    "id,status,summary,description,location,start,end,attendees,attendeesOmitted,"
    "guestsCanSeeOtherGuests,organizer,recurringEventId,originalStartTime,eventType,"
    "colorId,extendedProperties/private,hangoutLink,conferenceData/entryPoints,iCalUID,"
    "updated"
)
LIST_FIELDS = f"nextPageToken,nextSyncToken,items({ITEM_FIELDS})"


class GoogleCalendar(CalendarSource):
    """The account's configured calendars, read through one GoogleApi."""

    def __init__(self, api: GoogleApi, *, account: str, calendars: tuple[str, ...],
                 timezone: tzinfo, clock: Any, page_size: int = 2500,
                 my_emails: tuple[str, ...] = ()) -> None:
        self.api = api
        self.my_emails = my_emails
        self.account = account
        self.calendars = calendars
        self.timezone = timezone
        self.clock = clock
        self.page_size = page_size

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """Full read of the window when needed, else what changed since the tokens."""
        state = SyncCursor.load(cursor)
        now = self.clock()
        if (state is None or set(state.tokens) != set(self.calendars)
                or now - state.synced_at >= RESYNC_EVERY or now < state.synced_at
                or window.start < state.start or window.end > state.end):
            return self._full(window, now)
        events: dict[str, CalendarEvent] = {}
        removed: set[str] = set()
        tokens = {}
        guard = SeriesGuard(self.timezone)
        for cal in self.calendars:
            def take(item: dict[str, Any], cal: str = cal) -> None:
                if guard.refused(str(item.get("recurringEventId") or "")):
                    return  # a runaway series: not translated, not kept
                event = self._event(cal, item)
                if event is None or not window.overlaps(event.start, event.end):
                    removed.add(str(item["id"]))
                elif event.id not in events and guard.admit(event.series_id, event.start,
                                                            event.title):
                    events[event.id] = event
            try:
                tokens[cal] = self._list(cal, take, syncToken=state.tokens[cal])
            except Gone:
                log.info("account %s: calendar sync token expired; reading the window again",
                         self.account)
                return self._full(window, now)
        new = SyncCursor(state.start, state.end, state.synced_at, tokens)
        kept = {i: e for i, e in events.items() if not guard.refused(e.series_id)}
        return ChangeSet(tuple(kept.values()), new.dump() if all(tokens.values()) else None,
                         full=False, removed=tuple(sorted(removed - set(events))),
                         skipped=tuple(guard.skipped.values()))

    def _full(self, window: Window, now: datetime) -> ChangeSet:
        span_end = window.end + _AHEAD
        events: dict[str, CalendarEvent] = {}
        tokens = {}
        # Google expands series itself: a runaway one is counted page by page and its
        # occurrences dropped as they come, so memory stays flat whatever it holds.
        guard = SeriesGuard(self.timezone)
        for cal in self.calendars:
            def take(item: dict[str, Any], cal: str = cal) -> None:
                if guard.refused(str(item.get("recurringEventId") or "")):
                    return
                event = self._event(cal, item)
                # The same meeting in two calendars is one interview: the first one wins.
                if (event is not None and event.id not in events
                        and window.overlaps(event.start, event.end)
                        and guard.admit(event.series_id, event.start, event.title)):
                    events[event.id] = event
            tokens[cal] = self._list(cal, take, timeMin=_rfc3339(window.start),
                                     timeMax=_rfc3339(span_end))
        cursor = SyncCursor(window.start, span_end, now, tokens)
        return ChangeSet(tuple(e for e in events.values() if not guard.refused(e.series_id)),
                         cursor.dump() if all(tokens.values()) else None, full=True,
                         skipped=tuple(guard.skipped.values()))

    def _list(self, cal: str, take: Callable[[dict[str, Any]], None], **params: str) -> str:
        """Every page of events.list, each item handed to `take` as it arrives; the
        nextSyncToken of the last page."""
        page_token: str | None = None
        while True:
            request = self.api.events.list(
                calendarId=cal, singleEvents=True, maxResults=self.page_size,
                fields=LIST_FIELDS, pageToken=page_token, **params)
            try:
                page = self.api.call(request, "events.list")
            except NotFound:
                raise ProviderError(f"calendar {cal[:80]!r} not found: check `calendars` "
                                    "for this account") from None
            got = page.get("items", [])
            if not isinstance(got, list):
                raise ProviderError("events.list: items is not a list")
            for item in got:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    take(item)
            page_token = page.get("nextPageToken")
            if not page_token:
                # nextSyncToken comes on the last page only.
                return str(page.get("nextSyncToken") or "")

    def _event(self, cal: str, item: dict[str, Any]) -> CalendarEvent | None:
        """Translate one item; re-fetch when Google cut the guest list. None: gone."""
        if item.get("status") == "cancelled":
            return None
        if item.get("attendeesOmitted"):
            try:
                item = self.api.call(self.api.events.get(
                    calendarId=cal, eventId=item["id"], fields=ITEM_FIELDS), "events.get")
            except NotFound:
                return None
        try:
            return event_from_google(item, account=self.account, calendar=cal,
                                     my_emails=self.my_emails, zone=self.timezone)
        except InputError as err:
            log.warning("account %s: skipped an event: %s", self.account, err)
            return None

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event as it is now (events.get), from the first calendar that has it; None
        if it is unknown or cancelled."""
        found = self.lookup(event_id)
        return found.event if found is not None and not found.cancelled else None

    def lookup(self, event_id: str) -> Lookup | None:
        """events.get, which returns cancelled (deleted) events too: a tombstone may carry
        nothing but the id and status, so its details are kept only when readable."""
        for cal in self.calendars:
            try:
                item = self.api.call(self.api.events.get(
                    calendarId=cal, eventId=event_id, fields=ITEM_FIELDS), "events.get")
            except NotFound:
                continue
            if item.get("status") != "cancelled":
                event = self._event(cal, item)
                return Lookup(event_id, event) if event is not None else None
            try:
                details: CalendarEvent | None = event_from_google(
                    item, account=self.account, calendar=cal, my_emails=self.my_emails,
                    zone=self.timezone)
            except InputError:
                details = None
            return Lookup(event_id, details, cancelled=True)
        return None

    def ids(self) -> Iterator[str]:
        """The configured calendar ids (for `check`)."""
        return iter(self.calendars)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
