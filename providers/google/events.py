"""Google Calendar v3 event resources → `CalendarEvent`. Pure: a dict in, an event out.

No network and no client library: the Google provider (and the tests) feed this the
`items[]` of an `events.list` page or an `events.get` answer, as JSON-decoded dicts.
Field meanings follow https://developers.google.com/calendar/api/v3/reference/events.
The description is passed through as is; it may be HTML, which the daemon strips.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterword.daemon.errors import InputError
from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response
from afterword.providers.event_errors import input_errors

_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "tentative": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "needsAction": Response.NEEDS_ACTION,
}
_STATUS = {"confirmed": EventStatus.CONFIRMED, "tentative": EventStatus.TENTATIVE,
           "cancelled": EventStatus.CANCELLED}


def is_removed(item: Mapping[str, Any]) -> bool:
    """A deleted or cancelled event: incremental sync may send only its id (and status)."""
    return item.get("status") == "cancelled"


@input_errors("Google")
def event_from_google(
    item: Mapping[str, Any],
    *,
    account: str,
    calendar: str = "primary",
    my_emails: Iterable[str] = (),
    zone: tzinfo = UTC,
) -> CalendarEvent:
    """One Google event resource as a CalendarEvent; InputError names what is wrong.

    `zone` is the calendar's time zone: all-day dates start at its midnight, and a
    dateTime without an offset (not expected from the API) is read in it.
    """
    event_id = str(item.get("id") or "")
    if not event_id:
        raise InputError("Google event without an id")
    mine = {e.strip().lower() for e in my_emails if e}
    try:
        start, all_day = _when(item["start"], zone)
        end, _ = _when(item.get("end") or item["start"], zone)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"Google event {event_id}: unreadable start/end ({err})") from None
    organizer = _organizer(item.get("organizer"), mine)
    attendees = tuple(_attendee(a, mine) for a in item.get("attendees") or ()
                      if isinstance(a, Mapping))
    me = next((a for a in attendees if a.is_self), None)
    if me is not None:
        my_response = me.response
    elif organizer is not None and organizer.is_self:
        my_response = Response.ORGANIZER
    else:
        my_response = Response.UNKNOWN
    if me is not None and me.is_organizer:
        my_response = Response.ORGANIZER
    i_organise = bool(organizer and organizer.is_self)
    private = (item.get("extendedProperties") or {}).get("private") or {}
    hidden = bool(item.get("attendeesOmitted")) or (
        item.get("guestsCanSeeOtherGuests") is False and not i_organise)
    return CalendarEvent(
        account=account,
        calendar=calendar,
        id=event_id,
        title=str(item.get("summary") or "").strip(),
        start=start,
        end=end,
        description=str(item.get("description") or ""),
        all_day=all_day,
        status=_STATUS.get(str(item.get("status", "confirmed")), EventStatus.CONFIRMED),
        attendees=attendees,
        organizer=organizer,
        my_response=my_response,
        location=str(item.get("location") or ""),
        video_link=_video_link(item),
        categories=(),
        color_id=str(item.get("colorId") or ""),
        event_type=str(item.get("eventType") or "default"),
        private_properties={str(k): str(v) for k, v in private.items()},
        attendees_hidden=hidden,
        series_id=str(item.get("recurringEventId") or ""),
        ical_uid=str(item.get("iCalUID") or ""),
    )


def _when(value: Mapping[str, Any], zone: tzinfo) -> tuple[datetime, bool]:
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone(value.get("timeZone"), zone))
        return moment, False
    day = date.fromisoformat(str(value["date"]))
    return datetime.combine(day, time(0), tzinfo=_zone(value.get("timeZone"), zone)), True


def _zone(name: Any, default: tzinfo) -> tzinfo:
    if not name:
        return default
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return default


def _attendee(data: Mapping[str, Any], mine: set[str]) -> Attendee:
    email = _email(data.get("email"))
    return Attendee(
        email=email,
        name=str(data["displayName"]).strip() if data.get("displayName") else None,
        response=_RESPONSES.get(str(data.get("responseStatus", "")), Response.UNKNOWN),
        is_self=bool(data.get("self")) or bool(email and email in mine),
        is_organizer=bool(data.get("organizer")),
        is_resource=bool(data.get("resource")) or bool(
            email and email.endswith("resource.calendar.google.com")),
        optional=bool(data.get("optional")),
    )


def _organizer(data: Any, mine: set[str]) -> Attendee | None:
    if not isinstance(data, Mapping):
        return None
    email = _email(data.get("email"))
    if email is None and not data.get("displayName"):
        return None
    return Attendee(
        email=email,
        name=str(data["displayName"]).strip() if data.get("displayName") else None,
        response=Response.ORGANIZER,
        is_self=bool(data.get("self")) or bool(email and email in mine),
        is_organizer=True,
    )


def _email(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return text if "@" in text else None


def _video_link(item: Mapping[str, Any]) -> str:
    if item.get("hangoutLink"):
        return str(item["hangoutLink"])
    conference = item.get("conferenceData") or {}
    for entry in conference.get("entryPoints") or ():
        if isinstance(entry, Mapping) and entry.get("entryPointType") == "video" and entry.get(
                "uri"):
            return str(entry["uri"])
    return ""
