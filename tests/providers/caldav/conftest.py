"""Fixtures: a Radicale and a Dovecot of each test's own, and helpers that play the user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.providers.caldav.servers import USER, Dovecot, Radicale


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    """A running Radicale with user alex and two calendars: Interviews (events) and Tasks."""
    server = Radicale(tmp_path / "radicale")
    server.start()
    try:
        principal = dav_client(server).principal()
        principal.make_calendar(name="Interviews", cal_id="interviews")
        principal.make_calendar(name="Tasks", cal_id="tasks",
                                supported_calendar_component_set=["VTODO"])
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    """A running private Dovecot with user alex (Drafts, Sent, Trash special-use)."""
    server = Dovecot(tmp_path / "dovecot")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def dav_client(server: Radicale) -> Any:
    """A python-caldav client acting as the user's own calendar app."""
    import caldav

    return caldav.DAVClient(url=server.url, username=USER, password=server.password,
                            auth_type="basic", enable_rfc6764=False)


def interviews_calendar(server: Radicale) -> Any:
    """The user's Interviews calendar, to add and change events in."""
    import caldav

    return caldav.Calendar(client=dav_client(server), url=f"{server.url}{USER}/interviews/")


def vcalendar(*events: str, zones: str = "") -> str:
    """An iCalendar object around the given VEVENTs."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Afterword tests//EN\r\n" + zones
            + "".join(events) + "END:VCALENDAR\r\n")


def vevent(uid: str, title: str, start: datetime, minutes: int = 60,
           guests: tuple[tuple[str, str], ...] = (), extra: str = "",
           organizer: tuple[str, str] = ("Rita Recruiter", "rita@acme.example")) -> str:
    """A VEVENT with the user and the guests (name, address) as attendees."""
    end = start + timedelta(minutes=minutes)
    lines = [
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}", f"SUMMARY:{title}",
        f"ORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}",
        "ATTENDEE;CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com",
    ]
    lines += [f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{address}"
              for name, address in guests]
    if extra:
        lines.append(extra.rstrip("\r\n"))
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"
