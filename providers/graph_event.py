"""Graph event JSON (asked for with `Prefer: outlook.timezone="UTC"`) → CalendarEvent.

The Microsoft provider's own translation, kept apart so that a shared translator can
replace it: `microsoft_calendar._to_event` is the single call site.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterword.daemon.model import Attendee, CalendarEvent, EventStatus, Response

UTC_NAMES = {"UTC", "", "ETC/UTC", "Z", "TZONE://MICROSOFT/UTC", "COORDINATED UNIVERSAL TIME"}
# Windows zone names Graph uses when it does not convert to the zone we asked for.
_WINDOWS_ZONES = {
    "Pacific Standard Time": "America/Los_Angeles", "Mountain Standard Time": "America/Denver",
    "Central Standard Time": "America/Chicago", "Eastern Standard Time": "America/New_York",
    "GMT Standard Time": "Europe/London", "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris", "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw", "India Standard Time": "Asia/Kolkata",
    "China Standard Time": "Asia/Shanghai", "Tokyo Standard Time": "Asia/Tokyo",
    "AUS Eastern Standard Time": "Australia/Sydney", "Singapore Standard Time": "Asia/Singapore",
}


_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "tentativelyaccepted": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "notresponded": Response.NEEDS_ACTION,
    "organizer": Response.ORGANIZER,
    "none": Response.UNKNOWN,
}
_SHOW_AS_TYPES = {"oof": "outOfOffice", "workingelsewhere": "workingLocation"}
_VIDEO_URL = re.compile(
    r"https://(?:[\w-]+\.)*(?:teams\.microsoft\.com|teams\.live\.com|zoom\.us|"
    r"meet\.google\.com|webex\.com|whereby\.com|chime\.aws)/[^\s<>\"')]+")


def to_event(data: Mapping[str, Any], account: str, calendar: str, timezone: tzinfo,
             my_emails: set[str]) -> CalendarEvent:
    """One Graph event (times asked for in UTC) as a CalendarEvent."""
    all_day = bool(data.get("isAllDay"))
    start = _when(data["start"], all_day, timezone)
    end = _when(data["end"], all_day, timezone)
    organizer = _person(data.get("organizer"), my_emails, Response.ORGANIZER, organizer=True)
    attendees = []
    for raw in data.get("attendees") or []:
        person = _person(raw, my_emails, _response(raw.get("status")), organizer=False)
        if person is None:
            continue
        if organizer is not None and person.email and person.email == organizer.email:
            person = Attendee(person.email, person.name, person.response, person.is_self,
                              True, person.is_resource, person.optional)
        attendees.append(person)
    if data.get("isOrganizer"):
        my_response = Response.ORGANIZER
    else:
        my_response = _response(data.get("responseStatus"))
    body = data.get("body") or {}
    description = str(body.get("content") or "")
    if str(body.get("contentType", "text")).lower() == "html":
        description = _html_text(description)
    description = description or str(data.get("bodyPreview") or "")
    location = str((data.get("location") or {}).get("displayName") or "")
    meeting = data.get("onlineMeeting") or {}
    video = str(meeting.get("joinUrl") or data.get("onlineMeetingUrl") or "")
    if not video:
        match = _VIDEO_URL.search(f"{location}\n{description}")
        video = match.group(0) if match else ""
    kind = str(data.get("type") or "")
    return CalendarEvent(
        account=account,
        calendar=calendar,
        id=str(data["id"]),
        title=" ".join(str(data.get("subject") or "").split()),
        start=start,
        end=end,
        description=description,
        all_day=all_day,
        status=EventStatus.CANCELLED if data.get("isCancelled") else EventStatus.CONFIRMED,
        attendees=tuple(attendees),
        organizer=organizer,
        my_response=my_response,
        location=location,
        video_link=video,
        categories=tuple(str(c) for c in data.get("categories") or () if c),
        event_type=_SHOW_AS_TYPES.get(str(data.get("showAs") or "").lower(), "default"),
        attendees_hidden=bool(data.get("hideAttendees")),
        series_id=str(data.get("seriesMasterId") or "") if kind in (
            "occurrence", "exception") else "",
        ical_uid=str(data.get("iCalUId") or ""),
    )


def _when(value: Mapping[str, Any], all_day: bool, timezone: tzinfo) -> datetime:
    text = str(value["dateTime"])
    # Graph gives up to 7 fractional digits; fromisoformat takes at most 6.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(str(value.get("timeZone") or "UTC")))
    if all_day:
        # All-day events are dates, kept as midnight in the user's zone. Graph gives them
        # as midnight of the event's own zone, converted to the zone we asked for: a
        # time that is not midnight there is read back in the user's zone.
        if moment.time() != datetime.min.time():
            moment = moment.astimezone(timezone)
        return datetime(moment.year, moment.month, moment.day, tzinfo=timezone)
    return moment


def _zone(name: str) -> tzinfo:
    if name.upper() in UTC_NAMES:
        return UTC
    try:
        return ZoneInfo(_WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name[:60]!r}") from None


def _response(status: Any) -> Response:
    if not isinstance(status, Mapping):
        return Response.UNKNOWN
    return _RESPONSES.get(str(status.get("response") or "").lower(), Response.UNKNOWN)


def _person(raw: Any, my_emails: set[str], response: Response,
            organizer: bool) -> Attendee | None:
    if not isinstance(raw, Mapping):
        return None
    address = raw.get("emailAddress") or {}
    email = str(address.get("address") or "").strip().lower() or None
    if email is not None and "@" not in email:
        email = None  # Exchange sometimes gives an X.500 path instead of an address
    name = " ".join(str(address.get("name") or "").split()) or None
    return Attendee(
        email=email,
        name=name,
        response=response,
        is_self=bool(email and email in my_emails),
        is_organizer=organizer,
        is_resource=str(raw.get("type") or "").lower() == "resource",
        optional=str(raw.get("type") or "").lower() == "optional",
    )


def _html_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    lines = (" ".join(line.split()) for line in unescape(text).splitlines())
    return "\n".join(line for line in lines if line)
