"""Several saved copies of one invitation: the one in force wins (RFC 5546), both ways.

The files are shaped like Google Calendar's `invite.ics` attachments (METHOD:REQUEST,
UTC times, SEQUENCE bumped on each update, a METHOD:CANCEL copy when it is called off),
saved the way people save them: "invite.ics", then "invite (1).ics" beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.model import CalendarEvent
from afterword.providers.base import ChangeSet, Window
from afterword.providers.local.calendar import IcsCalendar

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=10), NOW + timedelta(days=10))
FIRST = NOW + timedelta(days=1)  # the interview as first planned
MOVED = NOW + timedelta(days=2, hours=3)  # where the update moved it


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def invite(start: datetime, *, sequence: int, sent: datetime, method: str = "REQUEST",
           status: str | None = "CONFIRMED", uid: str = "7kq2p0ab1c3d@google.com",
           extra: tuple[str, ...] = ()) -> str:
    """One invitation e-mail's .ics, as Google Calendar attaches it."""
    title = "Interview: Alex Rivera / Acme - Data Engineer"
    lines = [
        "BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0", "CALSCALE:GREGORIAN", f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"DTSTART:{stamp(start)}", f"DTEND:{stamp(start + timedelta(minutes=45))}",
        f"DTSTAMP:{stamp(sent)}",
        "ORGANIZER;CN=Jane Doe:mailto:jane.doe@acme.example",
        f"UID:{uid}",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Jane Do",
        " e;X-NUM-GUESTS=0:mailto:jane.doe@acme.example",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=",
        " TRUE;CN=alex@example.com;X-NUM-GUESTS=0:mailto:alex@example.com",
        "CREATED:20261101T090000Z",
        "DESCRIPTION:Join with Google Meet: https://meet.google.com/abc-defg-hij",
        f"LAST-MODIFIED:{stamp(sent)}", "LOCATION:", f"SEQUENCE:{sequence}",
        *([f"STATUS:{status}"] if status else []),
        f"SUMMARY:{'Canceled event: ' + title if method == 'CANCEL' else title}",
        "TRANSP:OPAQUE", *extra,
        "END:VEVENT", "END:VCALENDAR", "",
    ]
    return "\r\n".join(lines)


def read(path: Path, *, fast: bool) -> ChangeSet:
    source = IcsCalendar(path, account="local", timezone=ZoneInfo("Europe/Berlin"),
                         my_emails=("alex@example.com",), plain_fast_path=fast)
    return source.changes(WINDOW, None)


def both(path: Path) -> tuple[list[CalendarEvent], list[str]]:
    """The live events and cancelled ids, the same whichever way the file is read."""
    fast, slow = read(path, fast=True), read(path, fast=False)
    assert sorted(fast.events, key=str) == sorted(slow.events, key=str)
    assert sorted(fast.removed) == sorted(slow.removed)
    assert fast.warnings == slow.warnings == ()
    return list(fast.events), sorted(fast.removed)


@pytest.fixture(params=["folder", "one file"])
def saved(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Save copies as files in a folder, or one after the other in one file (`cat`)."""
    def save(*copies: tuple[str, str]) -> Path:
        if request.param == "folder":
            for name, text in copies:
                (tmp_path / name).write_text(text, newline="")
            return tmp_path
        path = tmp_path / "all.ics"
        path.write_text("".join(text for _, text in copies), newline="")
        return path
    return save


@pytest.mark.parametrize("newer_first", [True, False])
def test_the_update_wins_over_the_first_invite_saved_beside_it(  # type: ignore[no-untyped-def]
        saved, newer_first: bool) -> None:
    first = ("invite.ics", invite(FIRST, sequence=0, sent=NOW - timedelta(days=5)))
    update = ("invite (1).ics" if newer_first else "invite_1.ics",
              invite(MOVED, sequence=1, sent=NOW - timedelta(days=1)))
    # The order in which the copies are read ("invite (1).ics" sorts before
    # "invite.ics", "invite_1.ics" after) must not decide.
    events, cancelled = both(saved(*((update, first) if newer_first else (first, update))))
    assert [(e.id, e.start) for e in events] == [("7kq2p0ab1c3d@google.com", MOVED)]
    assert cancelled == []


def test_with_the_same_sequence_the_later_dtstamp_wins(saved) -> None:  # type: ignore[no-untyped-def]
    # Some schedulers move an interview without raising SEQUENCE.
    earlier = invite(FIRST, sequence=2, sent=NOW - timedelta(days=3))
    later = invite(MOVED, sequence=2, sent=NOW - timedelta(days=2))
    events, _ = both(saved(("invite (1).ics", later), ("invite.ics", earlier)))
    assert [e.start for e in events] == [MOVED]
    events, _ = both(saved(("invite.ics", earlier), ("invite_1.ics", later)))
    assert [e.start for e in events] == [MOVED]


def test_a_cancel_with_an_equal_or_higher_sequence_cancels(saved) -> None:  # type: ignore[no-untyped-def]
    request = invite(FIRST, sequence=1, sent=NOW - timedelta(days=5))
    # Google's CANCEL copy says STATUS:CANCELLED; some tools only say METHOD:CANCEL.
    cancel = invite(FIRST, sequence=1, sent=NOW - timedelta(days=1), method="CANCEL",
                    status=None)
    events, cancelled = both(saved(("invite.ics", request), ("invite (1).ics", cancel)))
    assert events == []
    assert cancelled == ["7kq2p0ab1c3d@google.com"]


def test_an_older_cancel_does_not_cancel_the_rescheduled_interview(saved) -> None:  # type: ignore[no-untyped-def]
    cancel = invite(FIRST, sequence=1, sent=NOW - timedelta(days=4), method="CANCEL",
                    status="CANCELLED")
    rebooked = invite(MOVED, sequence=2, sent=NOW - timedelta(days=1))
    events, cancelled = both(saved(("invite (1).ics", cancel), ("invite.ics", rebooked)))
    assert [e.start for e in events] == [MOVED]
    assert cancelled == []


def test_a_lone_cancel_copy_is_a_cancelled_event(tmp_path: Path) -> None:
    (tmp_path / "invite.ics").write_text(
        invite(FIRST, sequence=3, sent=NOW, method="CANCEL", status=None), newline="")
    events, cancelled = both(tmp_path)
    assert events == [] and cancelled == ["7kq2p0ab1c3d@google.com"]


def test_a_reply_saved_beside_the_invite_does_not_replace_it(tmp_path: Path) -> None:
    # An attendee's REPLY carries only that attendee (and a later DTSTAMP).
    (tmp_path / "invite.ics").write_text(
        invite(FIRST, sequence=0, sent=NOW - timedelta(days=5)), newline="")
    (tmp_path / "reply.ics").write_text(
        invite(MOVED, sequence=0, sent=NOW, method="REPLY"), newline="")
    events, _ = both(tmp_path)
    assert [e.start for e in events] == [FIRST]


def test_overrides_of_a_series_are_not_copies(tmp_path: Path) -> None:
    weekly = "uid-weekly-screen@acme.example"
    series = invite(FIRST, sequence=0, sent=NOW - timedelta(days=5), uid=weekly,
                    extra=("RRULE:FREQ=DAILY;COUNT=3",))
    moved = invite(MOVED + timedelta(days=1), sequence=1, sent=NOW - timedelta(days=1),
                   uid=weekly, extra=(f"RECURRENCE-ID:{stamp(FIRST + timedelta(days=1))}",))
    (tmp_path / "series.ics").write_text(series, newline="")
    (tmp_path / "moved.ics").write_text(moved, newline="")
    events, _ = both(tmp_path)
    starts = sorted(e.start for e in events)
    assert starts == [FIRST, FIRST + timedelta(days=2), MOVED + timedelta(days=1)]
    # Cancelling the series cancels its override too.
    (tmp_path / "cancel.ics").write_text(
        invite(FIRST, sequence=1, sent=NOW, uid=weekly, method="CANCEL",
               extra=("RRULE:FREQ=DAILY;COUNT=3",)), newline="")
    events, cancelled = both(tmp_path)
    assert events == [] and len(cancelled) == 3
