"""`afterword list`, `afterword fix` and `explain` on a series, through the installed CLI
on a local .ics calendar: a fix changes what `preview` shows, what `explain` and
`status` say, and what a later draft says; `--clear` undoes it."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import calendar, local_config, run_cli, vevent

NOW = datetime.now(UTC).replace(microsecond=0, second=0)
JANE = ["CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example",
        "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com"]


def cli(config: Path, *args: str) -> str:
    result = run_cli(*args, "--config", str(config))
    assert result.returncode == 0, result.stderr
    return result.stdout


def setup(tmp_path: Path, delay: str) -> Path:
    # Ended an hour ago: due only once drafts.delay has passed.
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("screen-1", "Phone screen", NOW - timedelta(hours=2), attendees=JANE),
        vevent("lunch-1", "Lunch with Sam", NOW - timedelta(hours=5),
               attendees=["CN=Sam Lee:mailto:sam@lee.example",
                          "CN=Alex Rivera:mailto:alex@example.com"])))
    return local_config(tmp_path, extra=f'[drafts]\ndelay = "{delay}"\n')


def subjects(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Subject: ")]


def test_a_fix_changes_preview_explain_status_and_the_later_draft(tmp_path: Path) -> None:
    config = setup(tmp_path, "3h")
    cli(config, "run", "--once")
    # The title says neither; the interviewer's domain says Acme.
    assert subjects(cli(config, "preview", "screen-1")) == ["Subject: Thank you — Acme"]

    said = cli(config, "fix", "screen-1", "--company", "Acme Robotics", "--role",
               "Staff Engineer")
    assert said == ("fixed 'Phone screen': company Acme Robotics, role Staff Engineer; "
                    "notes drafted from now on use it\n")
    preview = cli(config, "preview", "screen-1")
    assert subjects(preview) == ["Subject: Thank you — Staff Engineer at Acme Robotics"]
    assert "about the Staff Engineer role at Acme Robotics." in " ".join(preview.split())
    assert ("for: company Acme Robotics, role Staff Engineer (fixed by you; `afterword fix "
            "screen-1 --clear` undoes it)") in cli(config, "explain", "screen-1").splitlines()
    status = cli(config, "status")
    assert "      for Staff Engineer at Acme Robotics (fixed with `afterword fix`)" in status

    # A later fix of one field keeps the other; a cycle keeps the fix.
    cli(config, "fix", "screen-1", "--role", "Principal Engineer")
    cli(config, "run", "--once")
    assert subjects(cli(config, "preview", "screen-1")) == [
        "Subject: Thank you — Principal Engineer at Acme Robotics"]

    # Now due: the draft written names the corrected job.
    config = local_config(tmp_path, extra='[drafts]\ndelay = "30m"\n')
    assert "1 draft(s) written" in cli(config, "run", "--once")
    (draft,) = (tmp_path / "Mail" / ".Drafts" / "cur").iterdir()
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Thank you — Principal Engineer at Acme Robotics"
    assert message["To"] == "Jane Doe <jane.doe@acme.example>"
    body = message.get_body(("plain",))
    assert body is not None
    assert "about the Principal Engineer role at Acme Robotics." in " ".join(
        body.get_content().split())


def test_clear_goes_back_to_what_the_invite_says(tmp_path: Path) -> None:
    config = setup(tmp_path, "3h")
    cli(config, "run", "--once")
    cli(config, "fix", "screen-1", "--company", "", "--role", "Data Engineer")
    assert subjects(cli(config, "preview", "screen-1")) == [
        "Subject: Thank you — Data Engineer interview"]
    assert cli(config, "fix", "screen-1", "--clear") == (
        "cleared the fix of 'Phone screen': as the invite says, company Acme, no role; "
        "notes drafted from now on use it\n")
    assert subjects(cli(config, "preview", "screen-1")) == ["Subject: Thank you — Acme"]
    assert "for: company Acme (wrong? `afterword fix screen-1 --company X --role Y`)" in cli(
        config, "explain", "screen-1").splitlines()


def test_fix_refuses_what_it_cannot_do_in_one_line(tmp_path: Path) -> None:
    config = setup(tmp_path, "3h")
    cli(config, "run", "--once")
    for args, wanted in [
        (("nope-404", "--role", "X"), "no interview with id 'nope-404'"),
        (("screen-1",), "say what to fix"),
        (("screen-1", "--clear", "--role", "X"), "--clear undoes a fix"),
        (("screen-1", "--role", "Engineer\nBcc: evil@example.net"), "control characters"),
        (("screen-1", "--clear"), "has no fix to clear"),
    ]:
        result = run_cli("fix", *args, "--config", str(config))
        assert result.returncode == 2, (args, result)
        assert wanted in result.stderr and result.stderr.count("\n") == 1


def test_list_shows_interviews_and_with_all_every_event_and_why(tmp_path: Path) -> None:
    config = setup(tmp_path, "3h")
    lines = cli(config, "list").splitlines()
    assert lines[1] == "  id screen-1  (account local)"
    assert lines[2] == ("  interview (title keyword 'phone screen'): ready, notes to Jane Doe; "
                        "for Acme")
    assert lines[0].endswith("  Phone screen")
    assert lines[-1] == ("(1 other event(s) in the window are not interviews; "
                         "`afterword list --all` shows them and why)")
    everything = cli(config, "list", "--all").splitlines()
    at = everything.index("  id lunch-1  (account local)")
    assert everything[at - 1].endswith("  Lunch with Sam")
    assert everything[at + 1].startswith("  not an interview")


def test_list_json_gives_the_same_events_for_scripts(tmp_path: Path) -> None:
    config = setup(tmp_path, "3h")
    interviews = json.loads(cli(config, "list", "--json"))
    assert [e["id"] for e in interviews] == ["screen-1"]
    screen = interviews[0]
    assert screen["interview"] and screen["status"] == "ready" and screen["company"] == "Acme"
    assert screen["interviewers"] == [{"name": "Jane Doe",
                                      "email": "jane.doe@acme.example"}]
    assert screen["verdict"].startswith("interview (title keyword 'phone screen')")
    everything = {e["id"]: e for e in json.loads(cli(config, "list", "--all", "--json"))}
    assert set(everything) == {"screen-1", "lunch-1"}
    assert not everything["lunch-1"]["interview"]
    assert "interviewers" not in everything["lunch-1"]


def test_explain_lists_the_occurrences_of_a_recurring_series(tmp_path: Path) -> None:
    first = NOW - timedelta(days=2, hours=1)
    weekly = vevent("loop-7", "Interview loop", first, attendees=JANE,
                    extra=["RRULE:FREQ=DAILY;COUNT=3"])
    (tmp_path / "calendar.ics").write_text(calendar(weekly))
    config = local_config(tmp_path, extra='[drafts]\ndelay = "30d"\n')
    cli(config, "run", "--once")  # the occurrences are stored interviews too
    lines = cli(config, "explain", "loop-7").splitlines()
    assert lines[0] == ("series loop-7: 3 occurrence(s) in the window (`afterword explain ID` "
                        "explains one)")
    ids = [line.split()[1] for line in lines if line.startswith("  id ")]
    assert ids == [f"loop-7_{(first + timedelta(days=d)):%Y%m%dT%H%M%SZ}" for d in range(3)]
    one = cli(config, "explain", ids[0]).splitlines()
    assert one[0] == "event: Interview loop"


def test_a_fix_after_the_draft_says_so_and_redraft_rewrites_it(tmp_path: Path) -> None:
    config = setup(tmp_path, "30m")
    assert "1 draft(s) written" in cli(config, "run", "--once")
    (draft,) = (tmp_path / "Mail" / ".Drafts" / "cur").iterdir()
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Thank you — Acme"
    assert cli(config, "fix", "screen-1", "--role", "Data Engineer") == (
        "fixed 'Phone screen': company Acme, role Data Engineer; notes drafted from now on "
        "use it (1 already drafted: `afterword redraft screen-1` rewrites those you have "
        "not edited)\n")
    cli(config, "redraft", "screen-1")
    (draft,) = (tmp_path / "Mail" / ".Drafts" / "cur").iterdir()
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Thank you — Data Engineer at Acme"
