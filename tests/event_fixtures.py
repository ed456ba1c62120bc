"""Loads the realistic events of tests/data/events/ (Google JSON, Graph JSON, .ics exports)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from afterword.daemon.model import CalendarEvent
from afterword.providers.base import Window
from afterword.providers.google.events import event_from_google
from afterword.providers.local.calendar import IcsCalendar
from afterword.providers.microsoft.events import event_from_graph

EVENTS = Path(__file__).parent / "data" / "events"
# The user of every fixture: Alex Rivera, with a work address and a Gmail account.
MY_EMAILS = ("alex@example.com", "alex.rivera@gmail.com")
MY_NAME = "Alex Rivera"  # me.name
ZONE = ZoneInfo("America/New_York")
WINDOW = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


def load_all() -> dict[str, CalendarEvent]:
    """Every fixture event, keyed "<file>#<event id>"."""
    events: dict[str, CalendarEvent] = {}
    for path in sorted(EVENTS.iterdir()):
        if path.suffix == ".json" and path.name.startswith("google"):
            for item in json.loads(path.read_text())["items"]:
                events[f"{path.name}#{item['id']}"] = event_from_google(
                    item, account="personal", my_emails=MY_EMAILS, zone=ZONE)
        elif path.suffix == ".json" and path.name.startswith("graph"):
            for item in json.loads(path.read_text())["value"]:
                events[f"{path.name}#{item['id']}"] = event_from_graph(
                    item, account="work", my_emails=MY_EMAILS, zone=ZONE)
        elif path.suffix == ".ics":
            calendar = IcsCalendar(path, "local", ZONE, MY_EMAILS)
            for event in calendar.changes(WINDOW, None).events:
                events[f"{path.name}#{event.id}"] = event
    return events
