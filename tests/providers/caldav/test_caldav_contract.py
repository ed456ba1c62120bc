"""The CalDAV + IMAP provider keeps the provider contract: a real Radicale, a real Dovecot."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from afterword.providers.base import CalendarSource, DraftMailbox, DraftRef
from afterword.providers.caldav.calendar import CalDavCalendar
from afterword.providers.caldav.http import CalDavFaults, make_client
from afterword.providers.caldav.imap import ImapDrafts, ImapSettings
from tests.providers.caldav.conftest import interviews_calendar, vcalendar
from tests.providers.caldav.servers import PASSWORD, USER, Dovecot, Radicale
from tests.providers.contract import Harness, ProviderContract

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class CalDavHarness(Harness):
    """Radicale played by the organiser's calendar app, Dovecot by the user's mail client."""

    def __init__(self, radicale: Radicale, dovecot: Dovecot) -> None:
        self.now = NOW
        self.radicale, self.dovecot = radicale, dovecot
        self.events: dict[str, tuple[str, int, list[tuple[str, str]], str]] = {}
        self._calendar = CalDavCalendar(
            lambda: make_client(radicale.url, USER, PASSWORD, ca_file=None, timeout=10),
            CalDavFaults.for_url("contract", radicale.url), account="contract",
            selection=(), timezone=ZoneInfo("Europe/Berlin"),
            my_emails=("alex@example.com",), clock=lambda: self.now)
        self._mailbox = ImapDrafts(
            ImapSettings("127.0.0.1", dovecot.port, "none", USER, timeout=10),
            lambda: PASSWORD, account="contract")

    def calendar(self) -> CalendarSource:
        return self._calendar

    def mailbox(self) -> DraftMailbox:
        return self._mailbox

    def _save(self, title: str, start: datetime, minutes: int,
              guests: list[tuple[str, str]], rrule: str = "") -> None:
        uid = self.events[title][0] if title in self.events else f"{len(self.events)}@contract"
        self.events[title] = (uid, minutes, guests, rrule)
        lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{_stamp(NOW)}",
                 f"DTSTART:{_stamp(start)}",
                 f"DTEND:{_stamp(start + timedelta(minutes=minutes))}", f"SUMMARY:{title}",
                 "ORGANIZER;CN=Jane Doe:mailto:jane@acme.example"]
        lines += [f'ATTENDEE;CN="{name}";PARTSTAT=ACCEPTED:mailto:{address}'
                  for name, address in guests]
        if rrule:
            lines.append(f"RRULE:{rrule}")
        lines.append("END:VEVENT")
        interviews_calendar(self.radicale).save_event(vcalendar("\r\n".join(lines) + "\r\n"))

    def add_event(self, title: str, start: datetime, minutes: int,
                  guests: list[tuple[str, str]]) -> None:
        self._save(title, start, minutes, guests)

    def add_weekly_series(self, title: str, start: datetime, count: int,
                          guests: list[tuple[str, str]]) -> None:
        self._save(title, start, 60, guests, f"FREQ=WEEKLY;COUNT={count}")

    def move_event(self, title: str, start: datetime) -> None:
        _uid, minutes, guests, rrule = self.events[title]
        self._save(title, start, minutes, guests, rrule)

    def cancel_event(self, title: str) -> None:
        interviews_calendar(self.radicale).get_event_by_uid(self.events[title][0]).delete()

    def _uid(self, imap: Any, ref: DraftRef) -> str:
        imap.select("Drafts")
        return ref.provider_id.split(":")[1]

    def user_sends(self, ref: DraftRef) -> None:
        imap = self.dovecot.connect()
        uid = self._uid(imap, ref)
        _typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        imap.append("Sent", "(\\Seen)", None, data[0][1])
        imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        imap.expunge()
        imap.logout()

    def user_edits(self, ref: DraftRef) -> None:
        # IMAP clients save an edited draft as a new message and expunge the old one.
        imap = self.dovecot.connect()
        uid = self._uid(imap, ref)
        _typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        edited = data[0][1].replace(b"Subject: Thank you for today", b"Subject: Thanks again")
        imap.append("Drafts", "(\\Draft \\Seen)", None, edited)
        imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        imap.expunge()
        imap.logout()

    def user_deletes(self, ref: DraftRef) -> None:
        imap = self.dovecot.connect()
        imap.uid("STORE", self._uid(imap, ref), "+FLAGS", "(\\Deleted)")
        imap.expunge()
        imap.logout()

    def drafts_in_mailbox(self) -> list[EmailMessage]:
        imap = self.dovecot.connect()
        imap.select("Drafts", readonly=True)
        _typ, (numbers,) = imap.search(None, "ALL")
        found = []
        for number in numbers.split():
            _typ, data = imap.fetch(number.decode(), "(BODY.PEEK[])")
            parsed = message_from_bytes(data[0][1], policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        imap.logout()
        return found


@pytest.fixture
def harness(radicale: Radicale, tmp_path: Path) -> Iterator[CalDavHarness]:
    dovecot = Dovecot(tmp_path / "dovecot")
    dovecot.start()
    try:
        yield CalDavHarness(radicale, dovecot)
    finally:
        dovecot.stop()


class TestCalDavContract(ProviderContract):
    """Every contract test, against CalDAV (Radicale) and IMAP (Dovecot)."""
