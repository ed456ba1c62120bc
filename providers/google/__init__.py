"""provider = "google": Google Calendar in, Gmail drafts out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from afterword.providers.base import OptionReader, ProviderSpec


@dataclass(frozen=True)
class GoogleOptions:
    """A Google account's keys."""

    calendars: tuple[str, ...] = ("primary",)
    client_secrets: Path | None = None
    # The root under which /calendar/v3 and /gmail/v1 live.
    endpoint: str = "https://www.googleapis.com/"
    track_sent: bool = False  # adds gmail.metadata to tell sent from deleted
    timeout: timedelta = timedelta(seconds=60)  # per request, before it counts as failed


def read_options(t: OptionReader) -> GoogleOptions:
    """The Google account's keys from its config table."""
    d = GoogleOptions()
    return GoogleOptions(
        calendars=t.strings("calendars", d.calendars) or d.calendars,
        client_secrets=t.path("client_secrets"),
        endpoint=t.url("endpoint", d.endpoint, trailing_slash=True),
        track_sent=t.boolean("track_sent", d.track_sent),
        timeout=t.duration("timeout", d.timeout, timedelta(seconds=1)),
    )


SPEC = ProviderSpec("google", "afterword.providers.google.provider:GoogleProvider",
                    read_options, signs_in=True)
