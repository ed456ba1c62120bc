"""`afterword demo`: a throwaway calendar and Maildir, one real cycle, and the drafts shown.

It needs no account and no network: the same cycle as the daemon runs on the local
provider, with a panel interview that ended an hour ago and one coming up tomorrow.
"""

from __future__ import annotations

import email
import email.policy
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon.config import load
from afterword.daemon.runtime.app import App, utc_now

DEMO_CONFIG = """\
# A throwaway configuration made by `afterword demo`.
[me]
name = "Alex Rivera"
emails = ["alex@example.com"]
timezone = "{timezone}"
signature = "Alex Rivera\\n+1 555 0100"

[[accounts]]
name = "demo"
provider = "local"
calendar = "calendar.ics"
maildir = "Mail"

[drafts]
delay = "30m"

[reminders]
channels = []
"""


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def demo_calendar(now: datetime) -> str:
    """An .ics with a finished panel interview (with a room, the user and a decliner)
    and an upcoming phone screen."""
    ended = now - timedelta(hours=1)
    began = ended - timedelta(hours=1)
    soon = now + timedelta(days=1)
    return "\r\n".join([
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Afterword//demo//EN",
        "BEGIN:VEVENT",
        "UID:demo-panel-1@afterword",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(began)}",
        f"DTEND:{_ics_time(ended)}",
        "SUMMARY:Interview: Senior Data Engineer at Acme",
        "LOCATION:Acme HQ\\, Room Everest",
        "DESCRIPTION:Panel interview for the Senior Data Engineer role.",
        "ORGANIZER;CN=Acme Recruiting:mailto:recruiting@acme.example",
        "ATTENDEE;CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example",
        'ATTENDEE;CN="Smith, John";PARTSTAT=ACCEPTED:mailto:john.smith@acme.example',
        "ATTENDEE;CN=Room Everest;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:"
        "everest@resource.acme.example",
        "ATTENDEE;CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com",
        "ATTENDEE;CN=Sam Lee;PARTSTAT=DECLINED:mailto:sam.lee@acme.example",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:demo-screen-2@afterword",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(soon)}",
        f"DTEND:{_ics_time(soon + timedelta(minutes=30))}",
        "SUMMARY:Globex phone screen",
        "ORGANIZER;CN=Priya Raman:mailto:priya@globex.example",
        "ATTENDEE;CN=Priya Raman;PARTSTAT=ACCEPTED:mailto:priya@globex.example",
        "ATTENDEE;CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ])


def run_demo(folder: Path | None = None) -> int:
    """Build the demo, run one cycle, print where the drafts are and show the first one."""
    from afterword.daemon.config import system_timezone

    folder = folder or Path(tempfile.mkdtemp(prefix="afterword-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    now = utc_now()
    (folder / "calendar.ics").write_text(demo_calendar(now))
    (folder / "config.toml").write_text(DEMO_CONFIG.format(timezone=system_timezone()[1]))
    config = load(folder / "config.toml")
    app = App(config, state_dir=folder / "state" / "afterword")
    try:
        report = app.cycle.run()
        drafts = app.store.drafts()
        interviews = app.store.interviews()
    finally:
        app.close()
    for account in report.accounts:
        for error in account.errors:
            print(f"error: {error}")
    drafts_dir = folder / "Mail" / ".Drafts" / "cur"
    print(f"Afterword demo in {folder}")
    print(f"  calendar: {folder / 'calendar.ics'} ({len(interviews)} interviews found)")
    print(f"  drafts:   {drafts_dir} ({len(drafts)} drafts written)")
    for draft in drafts:
        print(f"    {draft.key}  {draft.state.value:<8} to {draft.recipient_name} "
              f"<{draft.recipient}>")
    upcoming = [i for i in interviews if i.end > now]
    for interview in upcoming:
        due = (interview.end + config.drafts.delay).astimezone(config.me.timezone)
        print(f"  upcoming: {interview.title!r}: drafts at {due:%a %d %b %H:%M}")
    files = sorted(drafts_dir.iterdir()) if drafts_dir.is_dir() else []
    if files:
        print("\nThe first draft, as your mail client will show it:\n")
        message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        for header in ("From", "To", "Subject", "X-Afterword-Key"):
            print(f"{header}: {message[header]}")
        body = message.get_body(preferencelist=("plain",))
        print()
        print(body.get_content() if body is not None else "")
        print(f"Try: mutt -f {folder / 'Mail' / '.Drafts'}")
        print(f"     XDG_STATE_HOME={folder / 'state'} afterword status"
              f" --config {folder / 'config.toml'}")
    return 0 if report.ok else 1
