"""Guests who are not people, end to end on a local .ics calendar: `run` drafts only for the
people, `explain` names what every other guest is, `status` says who still needs an
address, and a note to an address only the description gives says "check it" first."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from tests.conftest import calendar, local_config, run_cli, vevent

NOW = datetime.now(UTC).replace(microsecond=0, second=0)
DESCRIPTION = ("DESCRIPTION:Schedule:\\nPortfolio Review — Grace Liu\\, Design Director "
               "(grace.liu@acme.com)\\nSystem Design — Ravi Shah\\, Staff Engineer\\n")
GUESTS = [
    "PARTSTAT=ACCEPTED;CN=Alex Rivera:mailto:alex@example.com",
    "PARTSTAT=ACCEPTED;CN=Fireflies.ai Notetaker:mailto:fred@fireflies.ai",
    "PARTSTAT=ACCEPTED;CN=Jo Park:mailto:jo.park@acme.com",
    "PARTSTAT=ACCEPTED;CN=Ann Bell:mailto:typo..dots@acme.com",
    'PARTSTAT=DELEGATED;DELEGATED-TO="mailto:nina.ruiz@acme.com";CN=Tom Hale:'
    "mailto:tom.hale@acme.com",
    'PARTSTAT=NEEDS-ACTION;DELEGATED-FROM="mailto:tom.hale@acme.com";CN=Nina Ruiz:'
    "mailto:nina.ruiz@acme.com",
    "PARTSTAT=ACCEPTED;CN=Lobby Kiosk:mailto:kiosk-7@acme.com",
]


def setup(tmp_path: Path) -> Path:
    (tmp_path / "calendar.ics").write_text(calendar(vevent(
        "guests-1", "Onsite interview", NOW - timedelta(hours=3), attendees=GUESTS,
        extra=["ORGANIZER;CN=Acme Recruiting:mailto:acme@myworkday.com", DESCRIPTION])))
    return local_config(tmp_path, extra='[recipients]\nnot_people = ["kiosk-*@acme.com"]\n')


def drafts(tmp_path: Path) -> dict[str, EmailMessage]:
    box = mailbox.Maildir(tmp_path / "Mail" / ".Drafts", factory=None, create=False)
    found = [message_from_bytes(box.get_bytes(k), policy=default) for k in box.iterkeys()]
    return {str(m["To"]): m for m in found}  # type: ignore[misc]


def test_only_people_get_notes_and_explain_names_every_other_guest(tmp_path: Path) -> None:
    config = setup(tmp_path)
    ran = run_cli("run", "--once", "--config", str(config))
    assert ran.returncode == 0, ran.stderr
    notes = drafts(tmp_path)
    # The malformed address skipped only Ann; the bot, the Workday tenant, the kiosk and
    # the guest who delegated got nothing; Grace (from the description) got hers.
    assert sorted(notes) == ["Grace Liu <grace.liu@acme.com>", "Jo Park <jo.park@acme.com>",
                             "Nina Ruiz <nina.ruiz@acme.com>"]
    grace = notes["Grace Liu <grace.liu@acme.com>"].get_body(("plain",)).get_content()
    assert grace.startswith("[Afterword: check the address grace.liu@acme.com before "
                            "sending: it is written in the invite's description, not on its "
                            "guest list. Delete this line.]")
    assert "Hi Grace," in grace
    jo = notes["Jo Park <jo.park@acme.com>"].get_body(("plain",)).get_content()
    assert "[Afterword" not in jo and "Hi Jo," in jo

    listing = run_cli("status", "--json", "--config", str(config))
    event_id = json.loads(listing.stdout)["interviews"][0]["event_id"]
    lines = run_cli("explain", event_id, "--config", str(config)).stdout.splitlines()
    assert ("  - Fireflies.ai Notetaker <fred@fireflies.ai>: not a recipient: a meeting bot or "
            "notetaker (the Fireflies.ai notetaker (Fred))") in lines
    assert ("  - Acme Recruiting <acme@myworkday.com>: not a recipient: a scheduling system or "
            "applicant tracker (a Workday tenant)") in lines
    assert ("  - Ann Bell <typo..dots@acme.com>: not a recipient: not a valid email address: "
            "'typo..dots@acme.com'; the rest of the panel is drafted") in lines
    assert ("  - Tom Hale <tom.hale@acme.com>: not a recipient: delegated the meeting to "
            "someone else (the delegate gets the note)") in lines
    assert ("  - Lobby Kiosk <kiosk-7@acme.com>: not a recipient: not a person "
            "(recipients.not_people 'kiosk-*@acme.com')") in lines
    assert any(line.startswith("  + Grace Liu <grace.liu@acme.com>: recipient (named in the "
                               "description with an address that is not among the guests: "
                               "to check)") for line in lines)

    table = run_cli("status", "--config", str(config)).stdout
    assert (f"      address needed: Ann Bell (not a valid email address: "
            f"'typo..dots@acme.com'); `afterword add-interviewer {event_id} \"Ann Bell "
            "<address>\"`") in table.splitlines()
    assert (f"      address needed: Ravi Shah; `afterword add-interviewer {event_id} "
            "\"Ravi Shah <address>\"`") in table.splitlines()
