"""The local provider keeps the provider contract: a real .ics file, a real Maildir."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from afterword.providers.base import CalendarSource, DraftMailbox, DraftRef
from afterword.providers.local.calendar import IcsCalendar
from afterword.providers.local.maildir import MaildirDrafts
from tests.providers.contract import Harness, ProviderContract

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass
class _Event:
    uid: str
    title: str
    start: datetime
    minutes: int
    guests: list[tuple[str, str]]
    rrule: str = ""
    cancelled: bool = False


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class LocalHarness(Harness):
    """An .ics file the organiser's exports rewrite, and a Maildir a mail client uses."""

    def __init__(self, root: Path) -> None:
        self.now = NOW
        self.path = root / "calendar.ics"
        self.maildir = root / "Mail"
        self.events: list[_Event] = []
        self._calendar = IcsCalendar(self.path, account="contract",
                                     timezone=ZoneInfo("Europe/Berlin"),
                                     my_emails=("alex@example.com",))
        self._mailbox = MaildirDrafts(self.maildir)
        self._write()

    def _write(self) -> None:
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//contract//EN"]
        for e in self.events:
            lines += ["BEGIN:VEVENT", f"UID:{e.uid}", f"DTSTAMP:{_stamp(NOW)}",
                      f"DTSTART:{_stamp(e.start)}",
                      f"DTEND:{_stamp(e.start + timedelta(minutes=e.minutes))}",
                      f"SUMMARY:{e.title}", "ORGANIZER;CN=Jane Doe:mailto:jane@acme.example"]
            lines += [f'ATTENDEE;CN="{name}";PARTSTAT=ACCEPTED:mailto:{email}'
                      for name, email in e.guests]
            if e.rrule:
                lines.append(f"RRULE:{e.rrule}")
            if e.cancelled:
                lines.append("STATUS:CANCELLED")
            lines.append("END:VEVENT")
        lines.append("END:VCALENDAR")
        self.path.write_text("\r\n".join(lines) + "\r\n")

    def _named(self, title: str) -> _Event:
        return next(e for e in self.events if e.title == title)

    def calendar(self) -> CalendarSource:
        return self._calendar

    def mailbox(self) -> DraftMailbox:
        return self._mailbox

    def add_event(self, title: str, start: datetime, minutes: int,
                  guests: list[tuple[str, str]]) -> None:
        self.events.append(_Event(f"{len(self.events)}@contract", title, start, minutes,
                                  guests))
        self._write()

    def add_weekly_series(self, title: str, start: datetime, count: int,
                          guests: list[tuple[str, str]]) -> None:
        self.events.append(_Event(f"{len(self.events)}@contract", title, start, 60, guests,
                                  rrule=f"FREQ=WEEKLY;COUNT={count}"))
        self._write()

    def move_event(self, title: str, start: datetime) -> None:
        self._named(title).start = start
        self._write()

    def cancel_event(self, title: str) -> None:
        self._named(title).cancelled = True
        self._write()

    def _folder(self, name: str) -> mailbox.Maildir:
        return mailbox.Maildir(self.maildir, create=True).add_folder(name)

    def user_sends(self, ref: DraftRef) -> None:
        drafts, sent = self._folder("Drafts"), self._folder("Sent")
        message = drafts[ref.provider_id]
        sent.add(message)
        drafts.remove(ref.provider_id)

    def user_edits(self, ref: DraftRef) -> None:
        # mutt and most Maildir clients save an edited draft as a new file.
        drafts = self._folder("Drafts")
        message = drafts[ref.provider_id]
        message.replace_header("Subject", "Thanks again")
        drafts.add(message)
        drafts.remove(ref.provider_id)

    def user_deletes(self, ref: DraftRef) -> None:
        self._folder("Drafts").remove(ref.provider_id)

    def drafts_in_mailbox(self) -> list[EmailMessage]:
        drafts = self._folder("Drafts")
        found = []
        for key in drafts.iterkeys():
            raw = drafts.get_bytes(key)
            parsed = message_from_bytes(raw, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found


@pytest.fixture
def harness(tmp_path: Path) -> LocalHarness:
    return LocalHarness(tmp_path)


class TestLocalContract(ProviderContract):
    """Every contract test, against the local provider."""
