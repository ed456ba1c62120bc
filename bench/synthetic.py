"""Synthetic calendars and mailboxes of a given size, for benchmarks.

Every calendar has the same shape whatever the provider: N events spread over the 20
days around now (six back, fourteen ahead); one event in fifty is an upcoming interview,
the rest are ordinary meetings; and exactly PAST_INTERVIEWS interviews ended a few hours
ago, so the first cycle writes the same number of drafts at every size.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from afterword.daemon.model import DraftKey
from afterword.daemon.runtime.store import Store

ME = "alex@example.com"
PAST_INTERVIEWS = 5
SPAN = timedelta(days=20)
BACK = timedelta(days=6)


@dataclass(frozen=True)
class Spec:
    """One synthetic event, independent of any provider's format."""

    uid: str
    title: str
    start: datetime
    end: datetime
    guest: tuple[str, str]  # (name, address)

    @property
    def interview(self) -> bool:
        """Whether the title makes it an interview."""
        return self.title.startswith("Interview")


def specs(n_events: int, now: datetime) -> Iterator[Spec]:
    """N events: PAST_INTERVIEWS that are due for a note, the rest meetings or upcoming
    interviews (a past event is never an interview, so drafting does not grow with N)."""
    now = now.astimezone(UTC).replace(microsecond=0)
    past = min(PAST_INTERVIEWS, n_events)
    for i in range(past):
        end = now - timedelta(hours=2 + i)
        yield Spec(f"bench-past-{i}", f"Interview {i} at Acme", end - timedelta(minutes=45),
                   end, (f"Person {i}", f"p{i}@acme.example"))
    rest = n_events - past
    for i in range(rest):
        start = (now - BACK + SPAN * i / max(rest, 1)).replace(microsecond=0)
        upcoming = start > now and i % 50 == 0
        title = f"Interview {i} at Acme" if upcoming else f"Meeting {i}"
        yield Spec(f"bench-{i}", title, start, start + timedelta(minutes=45),
                   (f"Person {i}", f"q{i}@acme.example"))


def ics_calendar(n_events: int, now: datetime) -> str:
    """The events as one .ics file."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//afterword bench//EN"]
    for spec in specs(n_events, now):
        name, address = spec.guest
        lines += [
            "BEGIN:VEVENT",
            f"UID:{spec.uid}",
            f"DTSTAMP:{spec.start:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{spec.start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{spec.end:%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{spec.title}",
            f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{address}",
            f"ATTENDEE;CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:{ME}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def google_event(spec: Spec) -> dict[str, Any]:
    """The event as Calendar v3 returns it."""
    name, address = spec.guest
    return {
        "summary": spec.title,
        "start": {"dateTime": spec.start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": spec.end.isoformat(), "timeZone": "UTC"},
        "organizer": {"email": address},
        "attendees": [{"email": ME, "self": True, "responseStatus": "accepted"},
                      {"email": address, "displayName": name, "responseStatus": "accepted"}],
    }


def graph_attendees(spec: Spec) -> list[dict[str, Any]]:
    """The event's attendees as Graph lists them."""
    name, address = spec.guest
    return [{"type": "required", "status": {"response": "accepted",
                                            "time": "2026-01-01T00:00:00Z"},
             "emailAddress": {"name": who, "address": email}}
            for who, email in ((name, address), ("Alex Rivera", ME))]


def note(key: DraftKey, index: int) -> EmailMessage:
    """An open thank-you draft as an earlier cycle would have written it."""
    msg = EmailMessage()
    msg["From"] = ME
    msg["To"] = f"R {index} <{key.recipient}>"
    msg["Subject"] = "Thank you"
    msg["X-Afterword-Key"] = key.id
    msg.set_content(f"Dear R {index},\n\nThank you for your time today.\n")
    return msg


def draft_keys(account: str, n_drafts: int) -> list[DraftKey]:
    """The keys of M earlier drafts (of interviews no longer in the calendar)."""
    return [DraftKey(account, f"old-{i}", f"r{i}@acme.example") for i in range(n_drafts)]


def record_open_drafts(store: Store, refs: list[tuple[DraftKey, str, str | None]],
                       now: datetime) -> None:
    """Tell the state that these drafts were written (days before `now`, for earlier
    interviews: not counted by drafts.max_per_day) and are still open."""
    now -= timedelta(days=3)
    with store.transaction():
        for i, (key, provider_id, thread) in enumerate(refs):
            store.plan_draft(key, f"R {i}", now)
            store.record_drafted(key.id, provider_id, thread, now)


def open_maildir_drafts(store: Store, maildir: Path, account: str, n_drafts: int,
                        now: datetime) -> None:
    """M drafts waiting in the Maildir, known to the store as `drafted`."""
    drafts = mailbox.Maildir(maildir, create=True).add_folder("Drafts")
    refs: list[tuple[DraftKey, str, str | None]] = []
    for i, key in enumerate(draft_keys(account, n_drafts)):
        entry = mailbox.MaildirMessage(note(key, i))
        entry.set_subdir("cur")
        entry.set_flags("DS")
        refs.append((key, drafts.add(entry), None))
    record_open_drafts(store, refs, now)
