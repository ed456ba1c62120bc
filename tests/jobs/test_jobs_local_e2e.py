"""End to end on a local calendar and Maildir: notes fitted to each job, and one ask for the
names of the people met, never two, to the right person."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from afterword.daemon.config import load
from afterword.daemon.model import DraftState
from afterword.daemon.reminders import policy, sending
from afterword.daemon.reminders.policy import Kind
from afterword.daemon.runtime.store import Store
from tests.conftest import calendar, local_config, run_cli, vevent
from tests.jobs.scenarios import JOBS, highlights_in, pitches_in

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(hours=3)
ME = "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com"


def drafts_in(tmp_path: Path) -> list[EmailMessage]:
    cur = tmp_path / "Mail" / ".Drafts" / "cur"
    if not cur.is_dir():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore
            for p in sorted(cur.iterdir())]


def by_address(tmp_path: Path) -> dict[str, EmailMessage]:
    found = {m["To"].addresses[0].addr_spec: m for m in drafts_in(tmp_path)}
    assert len(found) == len(drafts_in(tmp_path)), "two drafts to one address"
    return found


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def cli(config: Path, *args: str) -> Any:
    result = run_cli(*args, "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def status(config: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli(config, "status", "--json").stdout)
    return data


def test_each_company_gets_its_own_pitch_and_a_panel_different_highlights(
        tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("acme-1", "Interview: Data Engineer at Acme Corp", START, attendees=[
            ME, "CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example",
            "CN=Zoë Ångström;PARTSTAT=ACCEPTED:mailto:zoe@acme.example",
            "CN=山田太郎;PARTSTAT=ACCEPTED:mailto:taro@acme.example"]),
        # No company in the title: the interviewer's domain says Globex; no role either.
        vevent("globex-1", "Phone screen", START, attendees=[
            ME, "CN=Kim Lee;PARTSTAT=ACCEPTED:mailto:kim@globex.example"]),
        vevent("umbrella-1", "Umbrella onsite interview", START, attendees=[
            ME, "CN=Ada Wong;PARTSTAT=ACCEPTED:mailto:ada@umbrella.example"]),
    ))
    config = local_config(tmp_path, extra=JOBS)
    assert "5 draft(s) written" in cli(config, "run", "--once").stdout
    notes = by_address(tmp_path)
    acme = [notes[a] for a in ("jane.doe@acme.example", "zoe@acme.example",
                               "taro@acme.example")]
    for note in acme:
        assert pitches_in(body(note)) == {"acme"}
    # A panel's notes differ in substance: each member gets another of Acme's highlights.
    assert [len(highlights_in(body(n))) for n in acme] == [1, 1, 1]
    assert len(set().union(*(highlights_in(body(n)) for n in acme))) == 3
    kim = notes["kim@globex.example"]
    assert pitches_in(body(kim)) == {"globex"}
    assert "a CKA certification" in body(kim)
    assert kim["Subject"] == "Thank you — Platform Engineer at Globex"  # the job's role
    ada = notes["ada@umbrella.example"]
    assert pitches_in(body(ada)) == {"global"}  # no job: the global pitch, as before

    explained = cli(config, "explain", "globex-1").stdout.splitlines()
    # The company came from Kim's address (globex.example → "Globex").
    assert "job: Globex, Platform Engineer — company 'Globex' is jobs[1] (Globex)" in explained
    explained = cli(config, "explain", "acme-1").stdout.splitlines()
    assert ("job: Acme, Senior Data Engineer — company 'Acme Corp' is jobs[0] (Acme)"
            in explained)
    assert "job: none of [[jobs]] matches (company or interviewers' domains)" in (
        cli(config, "explain", "umbrella-1").stdout.splitlines())
    preview = cli(config, "preview", "acme-1").stdout
    assert "Job: Acme, Senior Data Engineer — company 'Acme Corp' is jobs[0] (Acme)." in preview


def names_needed_calendar(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        # Nobody but me and the recruiting mailbox, which organized it: ask the mailbox.
        vevent("acme-onsite", "Acme onsite interview", START, attendees=[
            ME, "CN=Acme Recruiting;PARTSTAT=ACCEPTED:mailto:recruiting@acme.example"],
            extra=["ORGANIZER;CN=Acme Recruiting:mailto:recruiting@acme.example"]),
        # Named in the description, without addresses; organized by me: ask the job's contact.
        vevent("hooli-panel", "Interview at Hooli", START, attendees=[ME],
               extra=["ORGANIZER;CN=Alex Rivera:mailto:alex@example.com",
                      "DESCRIPTION:Interviewers:\\nJane Park (Engineering Manager)\\n"
                      "Raj Patel"]),
        # A scheduling robot organized it: no place to ask, and Globex has no contact.
        vevent("robot", "Technical interview at Globex", START, attendees=[ME],
               extra=["ORGANIZER;CN=GoodTime:mailto:scheduling@goodtime.io"]),
    ))


def test_exactly_one_ask_per_names_needed_interview_to_the_right_person(
        tmp_path: Path) -> None:
    names_needed_calendar(tmp_path)
    config = local_config(tmp_path, extra=JOBS)
    for _ in range(3):
        cli(config, "run", "--once")
    asks = by_address(tmp_path)
    assert set(asks) == {"recruiting@acme.example", "gavin@hooli.example"}
    acme = asks["recruiting@acme.example"]
    day = START.astimezone().strftime("%A")
    assert acme["Subject"] == f"The names of the people I met at Acme on {day}"
    text = body(acme)
    assert text.startswith("Hello,\n")  # a mailbox has no name to greet
    assert "my Senior Data Engineer interview at Acme on " + day in text
    assert "names and email addresses of the people I spoke with at Acme?" in text
    hooli = body(asks["gavin@hooli.example"])
    assert hooli.startswith("Hi Gavin,\n")
    assert "I do not have the email addresses of Jane and Raj" in hooli
    assert str(asks["gavin@hooli.example"]["To"]) == "Gavin Belson <gavin@hooli.example>"

    data = status(config)
    assert sorted((d["recipient"], d["kind"], d["state"]) for d in data["drafts"]) == [
        ("gavin@hooli.example", "ask_names", "drafted"),
        ("recruiting@acme.example", "ask_names", "drafted")]
    by_id = {i["event_id"]: i for i in data["interviews"]}
    assert by_id["acme-onsite"]["ask"]["recipient"] == "recruiting@acme.example"
    assert by_id["robot"]["ask"] is None
    table = cli(config, "status").stdout
    assert "your note asking Acme Recruiting for them is waiting in Drafts" in table
    assert "ask: Gavin Belson <gavin@" in table

    preview = cli(config, "preview", "acme-onsite").stdout
    assert "One note asking the organizer (a shared mailbox) for the names (template " \
           "ask-names)." in preview
    assert "(already drafted: " in preview
    robot = cli(config, "explain", "robot").stdout.splitlines()
    assert ("ask for names: nobody to ask (no organizer to ask, and no [[jobs]] contact for "
            "it)") in robot

    # Names given: the thank-you notes follow; the ask is never made again.
    cli(config, "add-interviewer", "hooli-panel", "Jane Park <jane.park@hooli.example>")
    cli(config, "run", "--once")
    cli(config, "run", "--once")
    after = by_address(tmp_path)
    assert set(after) == {"recruiting@acme.example", "gavin@hooli.example",
                          "jane.park@hooli.example"}
    assert body(after["jane.park@hooli.example"]).startswith("Hi Jane,")


def test_the_ask_can_be_turned_off(tmp_path: Path) -> None:
    names_needed_calendar(tmp_path)
    config = local_config(tmp_path, extra=JOBS + "\n[recipients]\nask_for_names = false\n")
    assert "0 draft(s) written" in cli(config, "run", "--once").stdout
    assert drafts_in(tmp_path) == []
    assert "ask for names: off (recipients.ask_for_names = false)" in (
        cli(config, "explain", "acme-onsite").stdout.splitlines())
    table = cli(config, "status").stdout
    assert "names needed: ask the receptionist or HR for their names" in table


def test_a_changed_organizer_never_brings_a_second_ask(tmp_path: Path) -> None:
    def write(organizer: str) -> None:
        (tmp_path / "calendar.ics").write_text(calendar(vevent(
            "acme-onsite", "Acme onsite interview", START, attendees=[ME],
            extra=[f"ORGANIZER;CN=Someone:mailto:{organizer}"])))

    write("recruiting@acme.example")
    config = local_config(tmp_path, extra=JOBS)
    cli(config, "run", "--once")
    write("talent@acme.example")  # the invite was updated by someone else
    cli(config, "run", "--once")
    assert list(by_address(tmp_path)) == ["recruiting@acme.example"]
    assert len(status(config)["drafts"]) == 1


def test_reminders_say_the_ask_is_waiting_to_be_sent(tmp_path: Path,
                                                     xdg: dict[str, Path]) -> None:
    names_needed_calendar(tmp_path)
    config = local_config(tmp_path, extra=JOBS)
    cli(config, "run", "--once")
    loaded = load(config)
    store = Store(xdg["state"] / "afterword" / "state.db")
    try:
        subjects = sending.subjects(loaded, store)
        asks = [s for s in subjects if s.ask]
        assert sorted(s.label.split(" — ")[0] for s in asks) == ["Acme Recruiting",
                                                                  "Gavin Belson"]
        # While an ask waits in Drafts, its interview's "names needed" reminder holds back.
        names = [s for s in subjects if s.kind is Kind.NAMES]
        assert [s.key for s in names] == ["robot"]
        notice = policy.digest(subjects, loaded.me.timezone)
        assert "2 notes asking for names are waiting to be sent" in notice.title
        assert "• Asking Acme Recruiting — Acme onsite interview" in notice.body
        # Once the ask is sent, the interview still needs its names: that reminder is back.
        ask = next(d for d in store.drafts() if d.recipient == "recruiting@acme.example")
        store.close_draft(ask.key, DraftState.SENT, NOW)
        names = [s for s in sending.subjects(loaded, store) if s.kind is Kind.NAMES]
        assert sorted(s.key for s in names) == ["acme-onsite", "robot"]
    finally:
        store.close()
