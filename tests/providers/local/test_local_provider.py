"""The local provider: .ics calendars (recurrence, zones) and Maildir drafts."""

from __future__ import annotations

import logging
import mailbox
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.errors import InputError, ProviderError
from afterword.daemon.model import EventStatus, Response
from afterword.providers.base import DraftRef, MailboxState, Window
from afterword.providers.local.calendar import IcsCalendar
from afterword.providers.local.maildir import MaildirDrafts

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))


def read(tmp_path: Path, body: str, zone: ZoneInfo = BERLIN, window: Window = WINDOW):
    path = tmp_path / "cal.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body
                    + "END:VCALENDAR\r\n")
    source = IcsCalendar(path, account="local", timezone=zone, my_emails=("me@example.com",))
    return sorted(source.changes(window, None).events, key=lambda e: e.start)


def test_recurring_series_with_exdate_and_a_moved_occurrence(tmp_path: Path) -> None:
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:series-1\r
DTSTART;TZID=Europe/Berlin:20261116T100000\r
DTEND;TZID=Europe/Berlin:20261116T110000\r
RRULE:FREQ=WEEKLY;COUNT=4\r
EXDATE;TZID=Europe/Berlin:20261123T100000\r
SUMMARY:Weekly interview loop\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:series-1\r
RECURRENCE-ID;TZID=Europe/Berlin:20261130T100000\r
DTSTART;TZID=Europe/Berlin:20261130T150000\r
DTEND;TZID=Europe/Berlin:20261130T160000\r
SUMMARY:Weekly interview loop (moved)\r
END:VEVENT\r
""")
    starts = [e.start.astimezone(BERLIN).strftime("%m-%d %H:%M") for e in events]
    assert starts == ["11-16 10:00", "11-30 15:00", "12-07 10:00"]
    # Each occurrence has its own stable id; the moved one keeps its original-start id.
    assert [e.id for e in events] == [
        "series-1_20261116T090000Z", "series-1_20261130T090000Z", "series-1_20261207T090000Z"]
    assert events[1].title == "Weekly interview loop (moved)"


def test_single_event_id_is_its_uid(tmp_path: Path) -> None:
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:one@x\r
DTSTART:20261120T100000Z\r
DTEND:20261120T110000Z\r
SUMMARY:Interview\r
END:VEVENT\r
""")
    assert [e.id for e in events] == ["one@x"]


def test_dst_is_respected_across_a_series(tmp_path: Path) -> None:
    window = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:dst\r
DTSTART;TZID=Europe/Berlin:20261020T090000\r
DTEND;TZID=Europe/Berlin:20261020T100000\r
RRULE:FREQ=WEEKLY;COUNT=2\r
SUMMARY:Interview\r
END:VEVENT\r
""", window=window)
    # 09:00 local both weeks, although the UTC offset changed on 25 October.
    assert [e.start.astimezone(UTC).hour for e in events] == [7, 8]


def test_windows_zone_names_and_vtimezone(tmp_path: Path) -> None:
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:win\r
DTSTART;TZID=Pacific Standard Time:20261120T090000\r
DTEND;TZID=Pacific Standard Time:20261120T100000\r
SUMMARY:Interview\r
END:VEVENT\r
""")
    assert events[0].start.astimezone(UTC) == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def test_unknown_tzid_falls_back_to_my_zone_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        events = read(tmp_path, """BEGIN:VEVENT\r
UID:custom\r
DTSTART;TZID=Customized Time Zone:20261120T090000\r
DTEND;TZID=Customized Time Zone:20261120T100000\r
SUMMARY:Interview\r
END:VEVENT\r
""")
    start = events[0].start
    assert start.tzinfo is not None  # never naive
    assert start.astimezone(UTC) == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert "unknown time zone 'Customized Time Zone'" in caplog.text


def test_cancelled_events_are_dropped_and_attendees_parsed(tmp_path: Path) -> None:
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:gone\r
DTSTART:20261120T100000Z\r
DTEND:20261120T110000Z\r
STATUS:CANCELLED\r
SUMMARY:Interview (cancelled)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:panel\r
DTSTART:20261121T100000Z\r
DTEND:20261121T110000Z\r
SUMMARY:Interview\r
CATEGORIES:Interview,Jobs\r
ORGANIZER;CN=Jane Doe:mailto:Jane.Doe@acme.example\r
ATTENDEE;CN="Doe, Jane";PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example\r
ATTENDEE;CN=Everest;CUTYPE=ROOM:mailto:everest@acme.example\r
ATTENDEE;CN=Projector;CUTYPE=RESOURCE:mailto:proj@acme.example\r
ATTENDEE;PARTSTAT=DECLINED;ROLE=OPT-PARTICIPANT:mailto:sam@acme.example\r
ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@example.com\r
DESCRIPTION:Join at https://meet.google.com/abc-defg-hij please\r
END:VEVENT\r
""")
    assert [e.id for e in events] == ["panel"]
    event = events[0]
    assert event.status is EventStatus.CONFIRMED
    assert event.categories == ("Interview", "Jobs")
    assert event.video_link == "https://meet.google.com/abc-defg-hij"
    assert event.my_response is Response.ACCEPTED
    by_email = {a.email: a for a in event.attendees}
    assert by_email["jane.doe@acme.example"].name == "Doe, Jane"
    assert by_email["jane.doe@acme.example"].is_organizer
    assert by_email["everest@acme.example"].is_resource
    assert by_email["proj@acme.example"].is_resource
    assert by_email["sam@acme.example"].response is Response.DECLINED
    assert by_email["sam@acme.example"].optional
    assert by_email["me@example.com"].is_self


def test_all_day_events_are_in_my_zone(tmp_path: Path) -> None:
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:allday\r
DTSTART;VALUE=DATE:20261120\r
SUMMARY:Onsite interview day\r
END:VEVENT\r
""")
    assert events[0].all_day
    assert events[0].start == datetime(2026, 11, 20, tzinfo=BERLIN)
    assert events[0].end == datetime(2026, 11, 21, tzinfo=BERLIN)


def test_a_folder_of_ics_files_and_an_idle_cursor(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    folder.mkdir()
    for n in range(3):
        (folder / f"e{n}.ics").write_text(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
            f"UID:e{n}\r\nDTSTART:2026112{n}T100000Z\r\nDTEND:2026112{n}T110000Z\r\n"
            "SUMMARY:Interview\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    source = IcsCalendar(folder, account="local", timezone=BERLIN)
    first = source.changes(WINDOW, None)
    assert first.full and {e.id for e in first.events} == {"e0", "e1", "e2"}
    idle = source.changes(WINDOW, first.cursor)
    assert idle.events == () and not idle.full and idle.cursor == first.cursor
    (folder / "e1.ics").unlink()
    after = source.changes(WINDOW, first.cursor)
    assert after.full and {e.id for e in after.events} == {"e0", "e2"}


def test_malformed_and_missing_calendars_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ics"
    bad.write_text("this is not a calendar")
    with pytest.raises(InputError, match=f"^{bad}: not a valid iCalendar file"):
        IcsCalendar(bad, account="a", timezone=BERLIN).changes(WINDOW, None)
    with pytest.raises(InputError, match="calendar not found"):
        IcsCalendar(tmp_path / "nope.ics", account="a", timezone=BERLIN).changes(WINDOW, None)


def message(key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = "jane@acme.example"
    msg["Subject"] = "Thank you"
    msg["X-Afterword-Key"] = key
    msg.set_content("Hi Jane")
    return msg


def test_maildir_drafts_are_flagged_drafts_in_cur(tmp_path: Path) -> None:
    box = MaildirDrafts(tmp_path / "Mail")
    ref = box.create_draft("k1", message("k1"))
    files = list((tmp_path / "Mail" / ".Drafts" / "cur").iterdir())
    assert len(files) == 1
    assert files[0].name.startswith(ref.provider_id)
    assert files[0].name.endswith(":2,DS")
    assert (tmp_path / "Mail" / ".Drafts" / "maildirfolder").exists()
    assert not list((tmp_path / "Mail" / ".Drafts" / "tmp").iterdir())
    assert box.find_draft("k1") == ref
    assert box.find_draft("other") is None


def test_maildir_states_open_sent_discarded_and_resaved(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    box = MaildirDrafts(root)
    refs = {k: box.create_draft(k, message(k)) for k in ("open", "sent", "gone", "resaved")}
    drafts = mailbox.Maildir(root).get_folder("Drafts")
    sent = mailbox.Maildir(root).add_folder("Sent")
    sent.add(drafts.get_message(refs["sent"].provider_id))
    drafts.remove(refs["sent"].provider_id)
    drafts.remove(refs["gone"].provider_id)
    # A mail client re-saves an edited draft as a new file with the same headers.
    edited = drafts.get_message(refs["resaved"].provider_id)
    drafts.remove(refs["resaved"].provider_id)
    new_id = drafts.add(edited)
    states = box.draft_states(refs)
    assert states["open"].state is MailboxState.OPEN
    assert states["sent"].state is MailboxState.SENT and states["sent"].sent_at is not None
    assert states["gone"].state is MailboxState.DISCARDED
    assert states["resaved"].state is MailboxState.OPEN
    assert states["resaved"].ref == DraftRef(new_id)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_maildir_is_a_provider_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ProviderError, match="maildir"):
        MaildirDrafts(locked / "Mail").create_draft("k", message("k"))


def test_maildir_under_a_file_is_a_provider_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ProviderError, match=str(tmp_path / "file")):
        MaildirDrafts(tmp_path / "file" / "Mail").create_draft("k", message("k"))


def test_event_window_filter(tmp_path: Path) -> None:
    window = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
    events = read(tmp_path, """BEGIN:VEVENT\r
UID:in\r
DTSTART:20261120T100000Z\r
DTEND:20261120T110000Z\r
SUMMARY:Interview\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:out\r
DTSTART:20261125T100000Z\r
DTEND:20261125T110000Z\r
SUMMARY:Interview\r
END:VEVENT\r
""", window=window)
    assert [e.id for e in events] == ["in"]
    assert window.overlaps(events[0].start, events[0].start + timedelta(hours=1))


def test_an_idle_check_is_cached_but_a_send_is_still_seen(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    box = MaildirDrafts(root)
    refs = {k: box.create_draft(k, message(k)) for k in ("a", "b")}
    mailbox.Maildir(root).add_folder("Sent")
    past = datetime.now(UTC).timestamp() - 60
    for folder in (".Drafts", ".Sent"):
        for sub in ("cur", "new"):
            os.utime(root / folder / sub, (past, past))
    assert {s.state for s in box.draft_states(refs).values()} == {MailboxState.OPEN}
    assert box._cache is not None  # settled folders: the next idle check is four stat()s
    drafts = mailbox.Maildir(root).get_folder("Drafts")
    mailbox.Maildir(root).get_folder("Sent").add(drafts.get_message(refs["a"].provider_id))
    drafts.remove(refs["a"].provider_id)
    states = box.draft_states(refs)
    assert states["a"].state is MailboxState.SENT
    assert states["b"].state is MailboxState.OPEN


def test_maildir_files_use_unix_line_ends(tmp_path: Path) -> None:
    box = MaildirDrafts(tmp_path / "Mail")
    msg = message("k")
    msg.policy = msg.policy.clone(linesep="\r\n")
    box.create_draft("k", msg)
    [path] = (tmp_path / "Mail" / ".Drafts" / "cur").iterdir()
    data = path.read_bytes()
    assert b"\r" not in data and b"X-Afterword-Key: k\n" in data
