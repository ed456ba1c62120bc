"""Synthetic calendars and mailboxes of a given size, for benchmarks."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from afterword.daemon.model import DraftKey
from afterword.daemon.store import Store


def ics_calendar(n_events: int, now: datetime) -> str:
    """N events spread over the window: one in fifty is an interview, the rest meetings."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//afterword bench//EN"]
    span = timedelta(days=20)
    for i in range(n_events):
        start = now - timedelta(days=6) + span * i / max(n_events, 1)
        title = f"Interview {i} at Acme" if i % 50 == 0 else f"Meeting {i}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:bench-{i}",
            f"DTSTAMP:{start:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(minutes=45):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{title}",
            f"ATTENDEE;CN=Person {i};PARTSTAT=ACCEPTED:mailto:p{i}@acme.example",
            "ATTENDEE;CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def open_maildir_drafts(store: Store, maildir: Path, account: str, n_drafts: int,
                        now: datetime) -> None:
    """M drafts waiting in the Maildir, known to the store as `drafted`."""
    drafts = mailbox.Maildir(maildir, create=True).add_folder("Drafts")
    for i in range(n_drafts):
        key = DraftKey(account, f"old-{i}", f"r{i}@acme.example")
        msg = EmailMessage()
        msg["To"] = f"r{i}@acme.example"
        msg["Subject"] = "Thank you"
        msg["X-Afterword-Key"] = key.id
        msg.set_content("Hi")
        entry = mailbox.MaildirMessage(msg)
        entry.set_subdir("cur")
        entry.set_flags("DS")
        provider_id = drafts.add(entry)
        store.plan_draft(key, f"R {i}", now)
        store.record_drafted(key.id, provider_id, None, now)
