"""The Microsoft provider keeps the provider contract, against the fake authority + Graph."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import pytest

from afterword.providers.base import CalendarSource, DraftMailbox, DraftRef
from afterword.providers.microsoft.provider import MicrosoftProvider
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import ME, NOW, Clock, make_provider, person, sign_in
from tests.providers.contract import Harness, ProviderContract


class MicrosoftHarness(Harness):
    """Outlook's calendar and mailbox as the fake Graph serves them; the user acts in
    Outlook."""

    def __init__(self, authority: FakeAuthority, graph: FakeGraph) -> None:
        self.now = NOW
        self.graph = graph
        self.provider: MicrosoftProvider = make_provider(authority, graph, clock=Clock(NOW))
        sign_in(self.provider, authority)
        self.ids: dict[str, str] = {}

    def calendar(self) -> CalendarSource:
        return self.provider.calendar()

    def mailbox(self) -> DraftMailbox:
        return self.provider.mailbox()

    @staticmethod
    def _people(guests: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return [person(name, email) for name, email in guests] + [person("Alex Rivera", ME)]

    def add_event(self, title: str, start: datetime, minutes: int,
                  guests: list[tuple[str, str]]) -> None:
        self.ids[title] = self.graph.add_event(ME, title, start, minutes,
                                               attendees=self._people(guests),
                                               organizer=guests[0])

    def add_weekly_series(self, title: str, start: datetime, count: int,
                          guests: list[tuple[str, str]]) -> None:
        # calendarView returns each occurrence with the series master's id.
        for week in range(count):
            self.graph.add_event(ME, title, start + timedelta(weeks=week), 60,
                                 attendees=self._people(guests), organizer=guests[0],
                                 type="occurrence", seriesMasterId="SERIESCONTRACT")

    def move_event(self, title: str, start: datetime) -> None:
        event = self.graph.mailbox(ME).events[self.ids[title]]
        length = event["end"] - event["start"]
        self.graph.update_event(ME, self.ids[title], start=start, end=start + length)

    def cancel_event(self, title: str) -> None:
        self.graph.delete_event(ME, self.ids[title])

    def user_sends(self, ref: DraftRef) -> None:
        self.graph.user_sends(ME, ref.provider_id)

    def user_edits(self, ref: DraftRef) -> None:
        self.graph.user_edits(ME, ref.provider_id, "Dear Jane, thanks again.")

    def user_deletes(self, ref: DraftRef) -> None:
        self.graph.user_deletes(ME, ref.provider_id)

    def drafts_in_mailbox(self) -> list[EmailMessage]:
        found = []
        for item in self.graph.messages(ME, "drafts"):
            msg = EmailMessage()
            for to in item["toRecipients"]:
                address = to["emailAddress"]
                msg["To"] = Address(address.get("name", ""), addr_spec=address["address"])
            msg["Subject"] = item["subject"]
            for header in item.get("internetMessageHeaders") or []:
                msg[header["name"]] = header["value"]
            found.append(msg)
        return found


@pytest.fixture
def harness() -> Iterator[MicrosoftHarness]:
    with FakeAuthority() as authority:
        authority.add_user(ME, "Alex Rivera")
        with FakeGraph(authority) as graph:
            yield MicrosoftHarness(authority, graph)


class TestMicrosoftContract(ProviderContract):
    """Every contract test, against the Microsoft provider."""
