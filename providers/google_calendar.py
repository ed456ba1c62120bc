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

import html
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from afterword.daemon.errors import ProviderError
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response
from afterword.providers.base import CalendarSource, ChangeSet, Window
from afterword.providers.google_http import Gone, GoogleApi, NotFound

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
_CURSOR_VERSION = 1
_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "tentative": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "needsAction": Response.NEEDS_ACTION,
}
_STATUSES = {"confirmed": EventStatus.CONFIRMED, "tentative": EventStatus.TENTATIVE,
             "cancelled": EventStatus.CANCELLED}


@dataclass(frozen=True)
class _Cursor:
    start: datetime
    end: datetime
    synced_at: datetime
    tokens: dict[str, str]

    def dump(self) -> str:
        return json.dumps({"v": _CURSOR_VERSION, "start": self.start.isoformat(),
                           "end": self.end.isoformat(), "at": self.synced_at.isoformat(),
                           "tokens": self.tokens}, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> _Cursor | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            if data.get("v") != _CURSOR_VERSION:
                return None
            tokens = data["tokens"]
            if not isinstance(tokens, dict) or not all(
                    isinstance(v, str) for v in tokens.values()):
                return None
            return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(
                data["end"]), datetime.fromisoformat(data["at"]), tokens)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # a cursor from another provider or version: read in full


class GoogleCalendar(CalendarSource):
    """The account's configured calendars, read through one GoogleApi."""

    def __init__(self, api: GoogleApi, *, account: str, calendars: tuple[str, ...],
                 timezone: tzinfo, clock: Any, page_size: int = 2500) -> None:
        self.api = api
        self.account = account
        self.calendars = calendars
        self.timezone = timezone
        self.clock = clock
        self.page_size = page_size

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """Full read of the window when needed, else what changed since the tokens."""
        state = _Cursor.load(cursor)
        now = self.clock()
        if (state is None or set(state.tokens) != set(self.calendars)
                or now - state.synced_at >= RESYNC_EVERY or now < state.synced_at
                or window.start < state.start or window.end > state.end):
            return self._full(window, now)
        events: dict[str, CalendarEvent] = {}
        removed: set[str] = set()
        tokens = {}
        for cal in self.calendars:
            try:
                items, token = self._list(cal, syncToken=state.tokens[cal])
            except Gone:
                log.info("account %s: calendar sync token expired; reading the window again",
                         self.account)
                return self._full(window, now)
            for item in items:
                event = self._event(cal, item)
                if event is None or not window.overlaps(event.start, event.end):
                    removed.add(str(item["id"]))
                elif event.id not in events:
                    events[event.id] = event
            tokens[cal] = token
        new = _Cursor(state.start, state.end, state.synced_at, tokens)
        return ChangeSet(tuple(events.values()), new.dump() if all(tokens.values()) else None,
                         full=False, removed=tuple(sorted(removed - set(events))))

    def _full(self, window: Window, now: datetime) -> ChangeSet:
        span_end = window.end + _AHEAD
        events: dict[str, CalendarEvent] = {}
        tokens = {}
        for cal in self.calendars:
            items, token = self._list(cal, timeMin=_rfc3339(window.start),
                                      timeMax=_rfc3339(span_end))
            for item in items:
                event = self._event(cal, item)
                # The same meeting in two calendars is one interview: the first one wins.
                if (event is not None and event.id not in events
                        and window.overlaps(event.start, event.end)):
                    events[event.id] = event
            tokens[cal] = token
        cursor = _Cursor(window.start, span_end, now, tokens)
        return ChangeSet(tuple(events.values()),
                         cursor.dump() if all(tokens.values()) else None, full=True)

    def _list(self, cal: str, **params: str) -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            request = self.api.calendar.events().list(
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
            items.extend(i for i in got if isinstance(i, dict) and isinstance(i.get("id"), str))
            page_token = page.get("nextPageToken")
            if not page_token:
                # nextSyncToken comes on the last page only.
                return items, str(page.get("nextSyncToken") or "")

    def _event(self, cal: str, item: dict[str, Any]) -> CalendarEvent | None:
        """Translate one item; re-fetch when Google cut the guest list. None: gone."""
        if item.get("status") == "cancelled":
            return None
        if item.get("attendeesOmitted"):
            try:
                item = self.api.call(self.api.calendar.events().get(
                    calendarId=cal, eventId=item["id"], fields=ITEM_FIELDS), "events.get")
            except NotFound:
                return None
        try:
            return _to_event(item, account=self.account, calendar=cal, zone=self.timezone)
        except (KeyError, ValueError, TypeError) as err:
            log.warning("account %s: skipped event %s: unreadable %s", self.account,
                        str(item.get("id"))[:80], err)
            return None

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """The event as it is now (events.get), from the first calendar that has it."""
        for cal in self.calendars:
            try:
                item = self.api.call(self.api.calendar.events().get(
                    calendarId=cal, eventId=event_id, fields=ITEM_FIELDS), "events.get")
            except NotFound:
                continue
            return self._event(cal, item)
        return None

    def ids(self) -> Iterator[str]:
        """The configured calendar ids (for `check`)."""
        return iter(self.calendars)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- translation (to be swapped for the shared providers/google_events.py at merge) -----

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\s*/?\s*>", re.IGNORECASE)


def _to_event(item: dict[str, Any], *, account: str, calendar: str,
              zone: tzinfo) -> CalendarEvent:
    """One Calendar v3 event resource as a CalendarEvent (raises KeyError/ValueError)."""
    start, all_day = _when(item["start"], zone)
    end, _ = _when(item.get("end") or item["start"], zone)
    if end < start:
        raise ValueError("event ends before it starts")
    organizer = None
    org = item.get("organizer")
    if isinstance(org, dict):
        organizer = Attendee(_email(org.get("email")), _text(org.get("displayName")) or None,
                             Response.ORGANIZER, bool(org.get("self")), True)
    attendees = tuple(_attendee(a) for a in item.get("attendees") or () if isinstance(a, dict))
    mine = [a for a in attendees if a.is_self]
    if mine:
        my_response = mine[0].response
    elif organizer is not None and organizer.is_self:
        my_response = Response.ORGANIZER
    else:
        my_response = Response.UNKNOWN
    hidden = bool(item.get("attendeesOmitted")) or (
        item.get("guestsCanSeeOtherGuests") is False and all(a.is_self for a in attendees))
    private = (item.get("extendedProperties") or {}).get("private") or {}
    return CalendarEvent(
        account=account,
        calendar=calendar,
        id=str(item["id"]),
        title=_text(item.get("summary")),
        start=start,
        end=end,
        description=_plain(_text(item.get("description"))),
        all_day=all_day,
        status=_STATUSES.get(str(item.get("status", "confirmed")), EventStatus.CONFIRMED),
        attendees=attendees,
        organizer=organizer,
        my_response=my_response,
        location=_text(item.get("location")),
        video_link=_video_link(item),
        color_id=_text(item.get("colorId")),
        event_type=_text(item.get("eventType")) or "default",
        private_properties={str(k): str(v) for k, v in private.items()}
        if isinstance(private, dict) else {},
        attendees_hidden=hidden,
        series_id=_text(item.get("recurringEventId")),
        ical_uid=_text(item.get("iCalUID")),
    )


def _when(value: dict[str, Any], zone: tzinfo) -> tuple[datetime, bool]:
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]))
        if moment.tzinfo is None:
            from zoneinfo import ZoneInfo

            named = value.get("timeZone")
            moment = moment.replace(tzinfo=ZoneInfo(named) if named else zone)
        return moment, False
    day = date.fromisoformat(str(value["date"]))  # all-day: end date is exclusive
    return datetime.combine(day, time(0), zone), True


def _attendee(a: dict[str, Any]) -> Attendee:
    organizer = bool(a.get("organizer"))
    return Attendee(
        email=_email(a.get("email")),
        name=_text(a.get("displayName")) or None,
        response=_RESPONSES.get(str(a.get("responseStatus")), Response.UNKNOWN),
        is_self=bool(a.get("self")),
        is_organizer=organizer,
        is_resource=bool(a.get("resource"))
        or _text(a.get("email")).endswith("@resource.calendar.google.com"),
        optional=bool(a.get("optional")),
    )


def _video_link(item: dict[str, Any]) -> str:
    if item.get("hangoutLink"):
        return _text(item["hangoutLink"])
    for point in (item.get("conferenceData") or {}).get("entryPoints") or ():
        if isinstance(point, dict) and point.get("entryPointType") == "video":
            return _text(point.get("uri"))
    return ""


def _email(value: Any) -> str | None:
    text = _text(value).strip()
    return text.lower() if text else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _plain(text: str) -> str:
    """Google descriptions may be HTML: keep the text and its line breaks."""
    if "<" not in text:
        return text
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", text))).strip()
