"""The Outlook calendar through Graph delta rounds on calendarView.

A round starts with `GET /me/calendarView/delta?startDateTime&endDateTime` over the
window (plus a day of slack at the end, so the round outlives the sliding window for a
day), follows `@odata.nextLink` to the `@odata.deltaLink`, and keeps that link as is.
Each later cycle asks the delta link for changes: one small request when nothing
changed, whatever the calendar's size. A new round starts daily, when the window has
slid past the round's span, and when Graph forgets the state (410 / syncStateNotFound).

Delta answers carry only a few fields for occurrences of a series, so changed events
whose entry lacks what we need are read in full, 20 per `$batch`.
All state is in the cursor string: {"v", "start", "end", "round", "links"}. An endpoint
without delta is polled instead (the whole window each cycle, `mode: "poll"`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from afterword.daemon.errors import (
    AuthExpired,
    InputError,
    ProviderError,
    SyncTokenExpired,
    TransientError,
)
from afterword.daemon.model import CalendarEvent, EventStatus
from afterword.providers.base import CalendarSource, ChangeSet, Lookup, NotFound, Window
from afterword.providers.microsoft.events import event_from_graph
from afterword.providers.microsoft.http import BatchItem, GraphClient, GraphError

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
ROUND_LIFETIME = timedelta(days=1)
PAGE_SIZE = 100
EVENT_FIELDS = ("id,subject,start,end,isAllDay,isCancelled,isOrganizer,responseStatus,"
                "attendees,organizer,categories,showAs,type,seriesMasterId,iCalUId,"
                "onlineMeeting,onlineMeetingUrl,location,body,bodyPreview,hideAttendees")
# Immutable ids: an event's id (part of each draft's key) survives moves between folders.
PREFER_EVENTS = ('outlook.timezone="UTC"', 'outlook.body-content-type="text"',
                 'IdType="ImmutableId"')
# What a delta entry must carry to be used without reading the event again (entries
# for occurrences carry only id, type, seriesMasterId, start and end).
_NEEDED = ("subject", "start", "end", "attendees")


@dataclass
class _Drained:
    """What the pages of one or more delta rounds said, collected as they arrive."""

    events: dict[str, CalendarEvent] = field(default_factory=dict)
    partial: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphCalendar(CalendarSource):
    """The user's default calendar, or the calendars named in the account config."""

    def __init__(self, client: GraphClient, account: str, calendars: tuple[str, ...],
                 timezone: tzinfo, my_emails: tuple[str, ...],
                 clock: Any) -> None:
        self.client = client
        self.account = account
        self.calendars = calendars or ("",)  # "": the default calendar
        self.timezone = timezone
        self.my_emails = {e.lower() for e in my_emails}
        self.clock = clock

    def _view(self, calendar: str) -> str:
        if not calendar:
            return "/me/calendarView/delta"
        return f"/me/calendars/{quote(calendar, safe='')}/calendarView/delta"

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """A delta round's next changes; a new full round when due (daily, 410, slid window)."""
        state = _parse_cursor(cursor)
        now = self.clock()
        if state is not None and self._round_still_good(state, window, now):
            if state.get("mode") == "poll":
                return self._poll(window, now, state)
            try:
                return self._incremental(state)
            except SyncTokenExpired:
                log.info("account %s: calendar sync state expired; reading the window again",
                         self.account)
        try:
            return self._full_round(window, now)
        except SyncTokenExpired as err:
            # The state expired in the middle of a fresh round: try again next cycle.
            raise TransientError(f"account '{self.account}': calendar sync restarted: "
                                 f"{err}") from err
        except (GraphError, NotFound) as err:
            if err.status not in (400, 404, 405, 501):
                raise
            # An endpoint without calendarView delta: read the window each cycle instead
            # (costlier when idle), and try delta again with the next daily round.
            log.warning("account %s: calendar delta unavailable (%s); polling the window",
                        self.account, err)
            return self._poll(window, now, None)

    def _poll(self, window: Window, now: datetime, state: dict[str, Any] | None) -> ChangeSet:
        """The whole window from calendarView; reported as a change only when it differs."""
        start, end = window.start, window.end + ROUND_LIFETIME
        params = {"startDateTime": _stamp(start), "endDateTime": _stamp(end),
                  "$select": EVENT_FIELDS, "$top": str(PAGE_SIZE)}
        entries: list[tuple[str, dict[str, Any]]] = []
        for calendar in self.calendars:
            view = self._view(calendar).removesuffix("/delta")
            for page in self.client.pages(view, params, PREFER_EVENTS):
                entries.extend((calendar, e) for e in page.get("value", [])
                               if isinstance(e, dict) and e.get("id"))
        digest = hashlib.sha256(json.dumps(
            sorted(({**e, "_calendar": c} for c, e in entries), key=lambda e: str(e["id"])),
            sort_keys=True, default=str).encode()).hexdigest()
        began = state["round"] if state else now.isoformat()
        cursor = json.dumps({"v": CURSOR_VERSION, "mode": "poll", "digest": digest,
                             "start": (state or {}).get("start", start.isoformat()),
                             "end": (state or {}).get("end", end.isoformat()),
                             "round": began, "links": dict.fromkeys(self.calendars, "")},
                            sort_keys=True)
        if state is not None and state.get("digest") == digest:
            return ChangeSet(events=(), cursor=cursor, full=False)
        drained = _Drained()
        for calendar, entry in entries:
            self._take(entry, calendar, drained)
        return ChangeSet(events=tuple(self._complete(drained)), cursor=cursor, full=True)

    def _round_still_good(self, state: dict[str, Any], window: Window, now: datetime) -> bool:
        try:
            start = datetime.fromisoformat(state["start"])
            end = datetime.fromisoformat(state["end"])
            began = datetime.fromisoformat(state["round"])
        except (KeyError, TypeError, ValueError):
            return False
        if set(state.get("links", {})) != set(self.calendars):
            return False  # the configured calendars changed
        return start <= window.start and window.end <= end and now - began < ROUND_LIFETIME

    def _full_round(self, window: Window, now: datetime) -> ChangeSet:
        start, end = window.start, window.end + ROUND_LIFETIME
        params = {"startDateTime": _stamp(start), "endDateTime": _stamp(end)}
        links: dict[str, str] = {}
        drained = _Drained()
        for calendar in self.calendars:
            links[calendar] = self._drain(self._view(calendar), params, calendar, drained)
        events = self._complete(drained)
        state = {"v": CURSOR_VERSION, "start": start.isoformat(), "end": end.isoformat(),
                 "round": now.isoformat(), "links": links}
        return ChangeSet(events=tuple(events), cursor=json.dumps(state, sort_keys=True),
                         full=True)

    def _incremental(self, state: dict[str, Any]) -> ChangeSet:
        links = dict(state["links"])
        drained = _Drained()
        for calendar, link in state["links"].items():
            links[calendar] = self._drain(link, None, calendar, drained)
        events = self._complete(drained)
        cancelled = {e.id for e in events if e.status is EventStatus.CANCELLED}
        state = {**state, "links": links}
        return ChangeSet(
            events=tuple(e for e in events if e.id not in cancelled),
            cursor=json.dumps(state, sort_keys=True), full=False,
            removed=tuple(sorted(drained.removed | cancelled)))

    def _drain(self, path: str, params: Mapping[str, str] | None, calendar: str,
               drained: _Drained) -> str:
        """Follow nextLinks to the deltaLink, adding what the pages say to `drained`;
        the deltaLink. Entries are translated page by page, so a first round over a busy
        calendar never holds more than one page of JSON."""
        prefer = (*PREFER_EVENTS, f"odata.maxpagesize={PAGE_SIZE}")
        for page in self.client.pages(path, params, prefer):
            for entry in page.get("value", []):
                if isinstance(entry, dict) and entry.get("id"):
                    self._take(entry, calendar, drained)
            if "@odata.deltaLink" in page:
                return str(page["@odata.deltaLink"])
        raise ProviderError(f"account '{self.account}': calendar delta ended without a "
                            "deltaLink")

    def _take(self, entry: dict[str, Any], calendar: str, drained: _Drained) -> None:
        """One delta entry: removed, usable as it is, or to be read in full."""
        event_id = str(entry["id"])
        # Duplicates happen across pages: the last word wins.
        drained.events.pop(event_id, None)
        drained.partial.pop(event_id, None)
        drained.removed.discard(event_id)
        if "@removed" in entry:
            drained.removed.add(event_id)  # deleted, or moved out of the round's span
        elif entry.get("type") == "seriesMaster":
            return  # calendarView lists occurrences; masters are not events in time
        elif all(k in entry for k in _NEEDED) and _is_utc(entry):
            event = self._translate(entry, calendar)
            if event is not None:
                drained.events[event_id] = event
        else:
            drained.partial[event_id] = (calendar, entry)

    def _translate(self, data: Mapping[str, Any], calendar: str) -> CalendarEvent | None:
        try:
            return _to_event(data, self.account, calendar or "default", self.timezone,
                             self.my_emails)
        except InputError as err:
            log.warning("account %s: skipping an event: %s", self.account, err)
            return None

    def _complete(self, drained: _Drained) -> list[CalendarEvent]:
        """The drained events, with those the delta answer cut short read in full (batched)."""
        partial = list(drained.partial.items())
        items = [BatchItem(f"/me/events/{quote(event_id, safe='')}?$select={EVENT_FIELDS}",
                           PREFER_EVENTS) for event_id, _ in partial]
        for (event_id, (calendar, _entry)), outcome in zip(
                partial, self.client.batch(items, "read events"), strict=True):
            if isinstance(outcome.error, NotFound):
                drained.removed.add(event_id)  # deleted since the delta answer
                continue
            if isinstance(outcome.error, TransientError | AuthExpired):
                raise outcome.error  # the cursor stays: the next cycle asks again
            if outcome.error is not None:
                # A refusal that asking again will not change (e.g. 403 on one private
                # item): skip that event rather than stall the whole calendar.
                log.warning("account %s: skipping event %s: %s", self.account,
                            event_id[:40], outcome.error)
                continue
            if isinstance(outcome.body, dict):
                event = self._translate(outcome.body, calendar)
                if event is not None:
                    drained.events[event_id] = event
        return list(drained.events.values())

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event as it is now, or None if it was deleted or cancelled."""
        found = self.lookup(event_id)
        return found.event if found is not None and not found.cancelled else None

    def lookup(self, event_id: str) -> Lookup | None:
        """The event, cancelled ones included: an attendee's copy of a meeting the
        organizer cancelled stays in the calendar with isCancelled until removed."""
        try:
            data = self.client.get(f"/me/events/{quote(event_id, safe='')}",
                                   {"$select": EVENT_FIELDS}, PREFER_EVENTS)
        except NotFound:
            return None
        event = _to_event(data, self.account, "default", self.timezone, self.my_emails)
        return Lookup(event_id, event, cancelled=event.status is EventStatus.CANCELLED)


def _parse_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        state = json.loads(cursor)
    except ValueError:
        return None  # a cursor from another provider or version: start a new round
    if not isinstance(state, dict) or state.get("v") != CURSOR_VERSION:
        return None
    if not isinstance(state.get("links"), dict):
        return None
    return state


# Zone names Graph uses for UTC (when it honours Prefer: outlook.timezone="UTC").
UTC_NAMES = {"UTC", "", "ETC/UTC", "Z", "TZONE://MICROSOFT/UTC", "COORDINATED UNIVERSAL TIME"}


def _is_utc(entry: Mapping[str, Any]) -> bool:
    return all(isinstance(entry.get(k), dict) and
               str(entry[k].get("timeZone", "")).upper() in UTC_NAMES
               for k in ("start", "end"))


def _to_event(data: Mapping[str, Any], account: str, calendar: str, timezone: tzinfo,
              my_emails: set[str]) -> CalendarEvent:
    """One Graph event as a CalendarEvent (InputError names what is unreadable)."""
    return event_from_graph(data, account=account, calendar=calendar, my_emails=my_emails,
                            zone=timezone)
