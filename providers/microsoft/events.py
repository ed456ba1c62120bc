"""Microsoft Graph event resources → `CalendarEvent`. Pure: a dict in, an event out.

No network and no msal: the Microsoft provider (and the tests) feed this the `value[]`
of a `calendarView` / `calendarView/delta` page or a `GET /me/events/{id}` answer.
Field meanings follow https://learn.microsoft.com/graph/api/resources/event. Times are
read in the `timeZone` each start/end names (UTC when the request said
`Prefer: outlook.timezone="UTC"`); Windows zone names are mapped to IANA ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterword.daemon.errors import InputError
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response
from afterword.providers.event_errors import input_errors

_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "tentativelyAccepted": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "notResponded": Response.NEEDS_ACTION,
    "none": Response.NEEDS_ACTION,
    "organizer": Response.ORGANIZER,
}
# "String {guid} Name afterword": the name part of a single-value extended property id.
_PROPERTY_NAME = re.compile(r"\bName\s+(\S+)\s*$")


def is_removed(item: Mapping[str, Any]) -> bool:
    """A delta entry for a deleted event (or one that left the window)."""
    return "@removed" in item


@input_errors("Graph")
def event_from_graph(
    item: Mapping[str, Any],
    *,
    account: str,
    calendar: str = "",
    my_emails: Iterable[str] = (),
    zone: tzinfo = UTC,
) -> CalendarEvent:
    """One Graph event resource as a CalendarEvent; InputError names what is wrong.

    Graph has no "self" flag on attendees: `my_emails` (the account's and me.emails)
    says which guest is the user. `zone` is used for all-day dates and unknown zones.
    """
    event_id = str(item.get("id") or "")
    if not event_id:
        raise InputError("Graph event without an id")
    mine = {e.strip().lower() for e in my_emails if e}
    all_day = bool(item.get("isAllDay"))
    try:
        start = _when(item["start"], zone, all_day)
        end = _when(item.get("end") or item["start"], zone, all_day)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"Graph event {event_id}: unreadable start/end ({err})") from None
    organizer = _organizer(item.get("organizer"), mine, bool(item.get("isOrganizer")))
    rooms = _room_addresses(item)
    organizer_email = organizer.email if organizer else None
    attendees = tuple(_attendee(a, mine, rooms, organizer_email)
                      for a in item.get("attendees") or () if isinstance(a, Mapping))
    if item.get("isOrganizer"):
        my_response = Response.ORGANIZER
    else:
        answer = (item.get("responseStatus") or {}).get("response")
        my_response = _RESPONSES.get(str(answer), Response.UNKNOWN)
    body = item.get("body") or {}
    text = str(body.get("content") or "") if isinstance(body, Mapping) else ""
    location = item.get("location") or {}
    online = item.get("onlineMeeting") or {}
    return CalendarEvent(
        account=account,
        calendar=calendar,
        id=event_id,
        title=str(item.get("subject") or "").strip(),
        start=start,
        end=end,
        description=text or str(item.get("bodyPreview") or ""),
        all_day=all_day,
        status=EventStatus.CANCELLED if item.get("isCancelled") else EventStatus.CONFIRMED,
        attendees=attendees,
        organizer=organizer,
        my_response=my_response,
        location=str(location.get("displayName") or "") if isinstance(location, Mapping)
        else "",
        video_link=str((online.get("joinUrl") if isinstance(online, Mapping) else "")
                       or item.get("onlineMeetingUrl") or ""),
        categories=tuple(str(c) for c in item.get("categories") or ()),
        # Graph has no event types like Google's; showAs "oof" is the user's free/busy
        # choice (people mark interviews "away" too), so it does not make a skip.
        event_type="default",
        private_properties=_properties(item),
        attendees_hidden=bool(item.get("hideAttendees")) and not item.get("isOrganizer"),
        series_id=str(item.get("seriesMasterId") or ""),
        ical_uid=str(item.get("iCalUId") or ""),
    )


def _when(value: Mapping[str, Any], default: tzinfo, all_day: bool) -> datetime:
    # Python 3.11 reads Graph's seven fractional digits (truncating past six).
    moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    if all_day:
        # All-day events run midnight to midnight in the calendar's own zone.
        return datetime.combine(moment.date(), time(0), tzinfo=default)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(value.get("timeZone"), default))
    return moment


def _zone(name: Any, default: tzinfo) -> tzinfo:
    text = str(name or "").strip()
    if not text or text.upper() in ("UTC", "COORDINATED UNIVERSAL TIME", "GMT"):
        return UTC if text else default
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    # Outlook's Windows names ("Pacific Standard Time"); icalendar carries the CLDR table.
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    olson = WINDOWS_TO_OLSON.get(text)
    if olson:
        try:
            return ZoneInfo(olson)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def _address(data: Any) -> tuple[str | None, str | None]:
    if not isinstance(data, Mapping):
        return None, None
    email = str(data.get("address") or "").strip().lower()
    name = str(data.get("name") or "").strip()
    return (email if "@" in email else None), (name or None)


def _attendee(data: Mapping[str, Any], mine: set[str], rooms: set[str],
              organizer: str | None) -> Attendee:
    email, name = _address(data.get("emailAddress"))
    status = (data.get("status") or {}).get("response") if isinstance(
        data.get("status"), Mapping) else None
    return Attendee(
        email=email,
        name=name,
        response=_RESPONSES.get(str(status), Response.UNKNOWN),
        is_self=bool(email and email in mine),
        is_organizer=bool(email and email == organizer),
        is_resource=data.get("type") == "resource" or bool(email and email in rooms),
        optional=data.get("type") == "optional",
    )


def _organizer(data: Any, mine: set[str], i_organise: bool) -> Attendee | None:
    if not isinstance(data, Mapping):
        return None
    email, name = _address(data.get("emailAddress"))
    if email is None and name is None:
        return None
    return Attendee(email=email, name=name, response=Response.ORGANIZER,
                    is_self=i_organise or bool(email and email in mine), is_organizer=True)


def _room_addresses(item: Mapping[str, Any]) -> set[str]:
    """Addresses of the event's places (`location` and `locations[]`).

    A place with a mailbox is a room or resource whatever its `locationType`: Graph lists
    a room typed on the To line as an ordinary `required` attendee
    (microsoft-graph-docs #3837), and only the locations tell it apart.
    """
    rooms = set()
    places = [item.get("location"), *(item.get("locations") or ())]
    for place in places:
        if isinstance(place, Mapping):
            address = str(place.get("locationEmailAddress") or "").strip().lower()
            if "@" in address:
                rooms.add(address)
    return rooms


def _properties(item: Mapping[str, Any]) -> dict[str, str]:
    """Single-value extended properties (when expanded) by their name."""
    found = {}
    for prop in item.get("singleValueExtendedProperties") or ():
        if isinstance(prop, Mapping):
            match = _PROPERTY_NAME.search(str(prop.get("id") or ""))
            if match:
                found[match.group(1)] = str(prop.get("value") or "")
    return found
