"""Shared set-up for the Google tests: a running fake and providers wired to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.config import AccountConfig
from afterword.daemon.runtime.secrets import KeyringSecrets
from afterword.providers.base import ProviderContext
from afterword.providers.google import GoogleOptions
from afterword.providers.google.provider import GoogleProvider
from tests.fakes.google import CAL_EVENTS_RO, COMPOSE, METADATA, FakeGoogle

DEFAULT_SCOPES = [CAL_EVENTS_RO, COMPOSE]
ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    """A fake Google on a loopback port."""
    fake = FakeGoogle()
    with fake.serve():
        yield fake


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_provider(fake: FakeGoogle, *, name: str = "personal", scopes: list[str] | None = None,
                  clock: Clock | None = None, seed: bool = True,
                  extra: dict[str, Any] | None = None, **account: Any) -> GoogleProvider:
    """A GoogleProvider for `fake`, its credentials seeded in the (in-memory) keyring."""
    secrets = KeyringSecrets()
    if seed:
        secrets.set(name, json.dumps(fake.credentials(scopes or DEFAULT_SCOPES)))
    options = GoogleOptions(endpoint=fake.url, **account)
    config = AccountConfig(name=name, provider="google", options=options)
    sleeps: list[float] = []
    context = ProviderContext(
        timezone=ZONE, my_emails=("alex@example.com",), secrets=secrets,
        clock=clock or Clock(),
        extra={"google_timeout": 2.0, "google_page_size": 2,
               "google_sleep": sleeps.append, **(extra or {})})
    provider = GoogleProvider(config, context)
    provider.sleeps = sleeps  # type: ignore[attr-defined]
    return provider


def timed(start: datetime, minutes: int = 60) -> dict[str, Any]:
    """start/end of a timed event."""
    return {"start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat()}}


def interview(title: str, start: datetime, guests: list[tuple[str, str]],
              **extra: Any) -> dict[str, Any]:
    """An interview event: the user (self) and the guests (name, address)."""
    attendees = [{"email": "alex@example.com", "self": True, "responseStatus": "accepted"}]
    attendees += [{"email": email, "displayName": name, "responseStatus": "accepted"}
                  for name, email in guests]
    return {"summary": title, **timed(start), "attendees": attendees,
            "organizer": {"email": guests[0][1] if guests else "hr@acme.com"}, **extra}


__all__ = ["DEFAULT_SCOPES", "METADATA", "NOW", "ZONE", "Clock", "google", "interview",
           "make_provider", "timed"]
