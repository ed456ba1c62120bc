"""The Google provider keeps the provider contract, against the loopback Google fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

import pytest

from afterword.providers.base import CalendarSource, DraftMailbox, DraftRef
from afterword.providers.google.provider import GoogleProvider
from tests.fakes.google import CAL_EVENTS_RO, COMPOSE, METADATA, FakeGoogle
from tests.google_env import NOW, Clock, make_provider
from tests.providers.contract import Harness, ProviderContract


def _when(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "timeZone": "Europe/Berlin"}


def _event(title: str, start: datetime, minutes: int,
           guests: list[tuple[str, str]]) -> dict[str, Any]:
    attendees = [{"email": "alex@example.com", "self": True, "responseStatus": "accepted"}]
    attendees += [{"email": email, "displayName": name, "responseStatus": "accepted"}
                  for name, email in guests]
    return {"summary": title, "start": _when(start),
            "end": _when(start + timedelta(minutes=minutes)), "attendees": attendees,
            "organizer": {"email": guests[0][1], "displayName": guests[0][0]}}


class GoogleHarness(Harness):
    """Google Calendar and Gmail as the fake serves them; the user acts in the web UI."""

    def __init__(self, fake: FakeGoogle) -> None:
        self.now = NOW
        self.fake = fake
        # track_sent: with gmail.metadata the provider tells sent from deleted.
        self.provider: GoogleProvider = make_provider(fake, clock=Clock(NOW), track_sent=True,
                                                      scopes=_SCOPES)
        self.ids: dict[str, dict[str, Any]] = {}

    def calendar(self) -> CalendarSource:
        return self.provider.calendar()

    def mailbox(self) -> DraftMailbox:
        return self.provider.mailbox()

    def add_event(self, title: str, start: datetime, minutes: int,
                  guests: list[tuple[str, str]]) -> None:
        self.ids[title] = self.fake.put_event(_event(title, start, minutes, guests))

    def add_weekly_series(self, title: str, start: datetime, count: int,
                          guests: list[tuple[str, str]]) -> None:
        # With singleEvents=true Google returns each instance: id <base>_<start in UTC>.
        base = "series0contract"
        for week in range(count):
            begins = start + timedelta(weeks=week)
            stamp = begins.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            self.fake.put_event({**_event(title, begins, 60, guests), "id": f"{base}_{stamp}",
                                 "recurringEventId": base,
                                 "originalStartTime": _when(begins)})

    def move_event(self, title: str, start: datetime) -> None:
        old = self.ids[title]
        length = (datetime.fromisoformat(old["end"]["dateTime"])
                  - datetime.fromisoformat(old["start"]["dateTime"]))
        self.ids[title] = self.fake.put_event(
            {**old, "start": _when(start), "end": _when(start + length)})

    def cancel_event(self, title: str) -> None:
        self.fake.delete_event(self.ids[title]["id"])

    def user_sends(self, ref: DraftRef) -> None:
        self.fake.user_send_draft(ref.provider_id)

    def user_edits(self, ref: DraftRef) -> None:
        self.fake.user_edit_draft(ref.provider_id, subject="Thanks again")

    def user_deletes(self, ref: DraftRef) -> None:
        self.fake.user_delete_draft(ref.provider_id)

    def drafts_in_mailbox(self) -> list[EmailMessage]:
        return [_as_email(m) for m in self.fake.drafts().values()]


_SCOPES = [CAL_EVENTS_RO, COMPOSE, METADATA]


def _as_email(message: Message) -> EmailMessage:
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
def harness() -> Iterator[GoogleHarness]:
    fake = FakeGoogle()
    with fake.serve():
        yield GoogleHarness(fake)


class TestGoogleContract(ProviderContract):
    """Every contract test, against the Google provider."""

