"""`afterword status` as a person reads it: which interview a draft is for, what to do
about an interview over the cap, removed accounts, reminders without a channel."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon import config as config_module
from afterword.daemon.reminders import sending
from afterword.daemon.runtime.store import Store
from tests.conftest import calendar, local_config, run_cli, vevent

JANE = "CN=Jane Doe:mailto:jane@acme.com"
PANEL = [JANE, "CN=John Smith:mailto:john@acme.com", "CN=Ann Lee:mailto:ann@acme.com"]


def _ago(hours: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)


def _table(config: Path) -> str:
    result = run_cli("status", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_waiting_drafts_show_their_interview_and_no_channel_is_explained(
        tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview: Staff Engineer at Acme Corporation Europe", _ago(5),
               attendees=[JANE]),
        vevent("two@acme", "Acme – Platform Lead – Onsite", _ago(3), attendees=[JANE])))
    config = local_config(tmp_path)  # channels = []: reminders off
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    table = _table(config)
    header = next(line for line in table.splitlines() if "NEXT REMINDER" in line)
    assert "INTERVIEW" in header
    rows = [line for line in table.splitlines() if "Jane Doe <jane@acme.com>" in line]
    assert len(rows) == 2
    assert any("Interview: Staff Engineer at …" in r for r in rows)
    assert any("Acme – Platform Lead – Onsite" in r for r in rows)
    assert all(r.rstrip().endswith("no channel") for r in rows)
    assert "[[reminders.channels]]" in table


def test_an_interview_over_the_cap_says_what_to_do_and_is_reminded(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel@acme", "Onsite interview with Acme", _ago(2), attendees=PANEL)))
    out = tmp_path / "reminders.txt"
    command = json.dumps([sys.executable, "-c",
                          f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"])
    config_path = local_config(tmp_path, extra=(
        f'quiet_hours = ""\n[[reminders.channels]]\ntype = "command"\ncommand = {command}\n'
        "[recipients]\nmax_per_interview = 2\n"))
    config_path.write_text(config_path.read_text().replace("channels = []\n", ""))
    assert run_cli("run", "--once", "--config", str(config_path)).returncode == 0
    table = _table(config_path)
    assert ("3 recipients, more than recipients.max_per_interview = 2: raise it to 3 in the "
            "config") in table
    assert "`afterword done panel@acme`" in table
    assert "confirm first" not in table

    config = config_module.load(config_path)
    store = Store(tmp_path / "xdg" / "state" / "afterword" / "state.db")
    try:
        assert sending.send_due(config, store, datetime.now(UTC)) == 1
    finally:
        store.close()
    text = out.read_text()
    assert "confirm who gets a note" in text
    assert "3 recipients, more than recipients.max_per_interview = 2" in text
    # `done` with the event id stops those reminders.
    result = run_cli("done", "panel@acme", "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(run_cli("status", "--json", "--config", str(config_path)).stdout)
    assert data["interviews"][0]["next_reminder_at"] is None


def test_drafts_of_an_account_removed_from_the_config_are_not_waiting(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("one@acme", "Interview with Acme", _ago(2), attendees=[JANE])))
    (tmp_path / "old.ics").write_text(calendar(
        vevent("two@globex", "Interview with Globex", _ago(2),
               attendees=["CN=Carol Poe:mailto:carol@globex.com"])))
    both = (f'[[accounts]]\nname = "local"\nprovider = "local"\n'
            f'calendar = "{tmp_path / "calendar.ics"}"\nmaildir = "{tmp_path / "Mail"}"\n'
            f'[[accounts]]\nname = "old"\nprovider = "local"\n'
            f'calendar = "{tmp_path / "old.ics"}"\nmaildir = "{tmp_path / "OldMail"}"\n')
    config = local_config(tmp_path, accounts=both)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert "Carol Poe" in _table(config)
    local_config(tmp_path, accounts=both.split("[[accounts]]\nname = \"old\"")[0])
    table = _table(config)
    waiting = table.split("Drafts waiting for you to send")[1].split("\n\n")[0]
    assert "Jane Doe" in waiting and "Carol Poe" not in waiting
    assert "Not in the config any more" in table
    assert "old: 1 interview(s), 1 draft(s) (1 still in its Drafts folder)" in table


def test_an_upcoming_panel_shows_who_needs_an_address_and_what_to_check(
        tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    description = ("DESCRIPTION:Interviewers: Jane Doe\\, Omar Haddad (Group PM)\\, "
                   "Grace Liu <grace.liu@acme.com>")
    (tmp_path / "calendar.ics").write_text(calendar(vevent(
        "soon@acme", "Onsite interview", start, attendees=[JANE], extra=[description])))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    table = _table(config)
    (row,) = [line for line in table.splitlines() if "Onsite interview" in line
              and " to " in line]
    assert row.endswith("to Jane Doe, Omar Haddad (address needed), "
                        "Grace Liu (to check: grace.liu@acme.com)")
    assert ("      address needed: Omar Haddad; `afterword add-interviewer soon@acme "
            "\"Omar Haddad <address>\"`") in table.splitlines()
