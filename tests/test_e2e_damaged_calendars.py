"""End to end: calendars as people have them, damaged parts and impossible dates included.

A file made by `cat a.ics b.ics`, one with a damaged event and a stray line, one cut
short, and an event ending in year 9999: the good interviews are drafted, each damaged
part is named once in the log and stays visible in `status` and `check`, and nothing
stops the account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import test_e2e_local as e2e
from tests.conftest import calendar, local_config, run_cli, vevent
from tests.fakes.google import FakeGoogle
from tests.google_env import google, interview
from tests.providers.google.test_google_e2e import panel, setup
from tests.test_e2e_local import drafts_in, panel_event, status

__all__ = ["google"]


@pytest.fixture(autouse=True)
def fresh_now() -> None:
    """The time as each test starts, for the events here and `panel_event` alike."""
    e2e.NOW = datetime.now(UTC).replace(microsecond=0)


def recipients(tmp_path: Path) -> list[str]:
    return sorted(d["To"].addresses[0].addr_spec for d in drafts_in(tmp_path / "Mail" /
                                                                     ".Drafts"))


def test_every_calendar_of_a_file_and_the_good_events_of_a_damaged_one(tmp_path: Path) -> None:
    panel = panel_event("panel-1")
    other = vevent("screen-2", "Phone screen with Initech", e2e.NOW - timedelta(hours=3),
                   attendees=["CN=Priya Raman:mailto:priya@initech.example"])
    broken = vevent("broken-3", "Interview: broken", e2e.NOW - timedelta(hours=3)).replace(
        "DTSTART:", "DTSTART:garbage", 1)
    # Two calendars in one file (`cat a.ics b.ics`), a damaged event and a stray line in
    # the second, and the file cut short in the middle of a last event.
    text = calendar(panel) + calendar(other, broken).replace(
        "END:VCALENDAR", "X\r\nEND:VCALENDAR") + calendar(panel_event("cut-4"))[:-60]
    path = tmp_path / "calendar.ics"
    path.write_text(text, newline="")
    config = local_config(tmp_path)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert recipients(tmp_path) == ["jane.doe@acme.example", "john.smith@acme.example",
                                    "priya@initech.example"]
    said = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(said) == 3, said
    assert f"{path}: skipped event broken-3: damaged DTSTART" in said[2]
    assert f"{path}: line 35: skipped a line that is not part of an event: 'X'" in said[0]
    assert f"{path}: line 40: skipped event cut-4: not closed: the file ends" in said[1]
    last_error = status(config)["accounts"][0]["last_error"]
    assert "skipped event broken-3" in last_error and "line 35" in last_error
    table = run_cli("status", "--config", str(config)).stdout
    assert "! account local:" in table and "skipped event broken-3" in table
    check = run_cli("check", "--config", str(config))
    assert check.returncode == 1
    assert "skipped event broken-3" in check.stdout and "line 40: skipped event cut-4" \
        in check.stdout

    # The next pass: nothing changed, nothing said again in the log, still in `status`.
    again = run_cli("run", "--once", "--config", str(config))
    assert again.returncode == 0 and "WARNING" not in again.stderr, again.stderr
    assert status(config)["accounts"][0]["last_error"] == last_error
    assert len(recipients(tmp_path)) == 3

    # Repaired: the warning goes, the interview appears.
    path.write_text(calendar(panel, other, panel_event("cut-4")), newline="")
    repaired = run_cli("run", "--once", "--config", str(config))
    assert repaired.returncode == 0 and "WARNING" not in repaired.stderr
    assert status(config)["accounts"][0]["last_error"] is None


def test_an_event_ending_in_year_9999_is_skipped_and_nothing_else_stops(tmp_path: Path) -> None:
    start = e2e.NOW - timedelta(hours=3)
    forever = vevent("forever", "Interview with Acme", start, attendees=[
        "CN=Jane Doe:mailto:jane.doe@acme.example"]).replace(
        f"DTEND:{(start + timedelta(hours=1)).strftime('%Y%m%dT%H%M%SZ')}",
        "DTEND:99991231T235959Z")
    year_one = vevent("year-one", "Interview with Acme", start).replace(
        f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}", "DTSTART;VALUE=DATE:00010101")
    backwards = vevent("backwards", "Interview with Acme", start, minutes=-30)
    (tmp_path / "calendar.ics").write_text(
        calendar(panel_event(), forever, year_one, backwards), newline="")
    config = local_config(tmp_path)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "skipped event forever: its dates are out of range" in result.stderr
    assert "skipped event year-one: its dates are out of range" in result.stderr
    assert "skipped event backwards: it ends before it starts" in result.stderr
    assert len(recipients(tmp_path)) == 2  # the good panel
    table = run_cli("status", "--config", str(config))
    assert table.returncode == 0, table.stderr
    assert "forever" not in {i["event_id"] for i in status(config)["interviews"]}


def test_any_providers_event_out_of_range_is_skipped_not_an_overflow(
        tmp_path: Path, xdg: dict[str, Path], google: FakeGoogle) -> None:
    # Google's API carries what the calendar holds; the check is the cycle's, not the
    # local provider's.
    start = datetime.now(UTC) - timedelta(hours=3)
    forever = google.put_event(interview(
        "Interview: Acme Corp, Staff Engineer", start, [("Jane Doe", "jane@acme.com")],
        end={"dateTime": "9999-12-31T23:00:00+00:00"}))
    panel(google)
    config = setup(tmp_path, xdg, google)
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert f"skipped event {forever['id']}: its dates are out of range" in result.stderr
    assert "1 draft(s) written" in result.stdout or "2 draft(s) written" in result.stdout
    table = run_cli("status", "--config", str(config))
    assert table.returncode == 0 and "OverflowError" not in table.stderr
    assert forever["id"] not in {i["event_id"] for i in status(config)["interviews"]}
    explained = run_cli("explain", forever["id"], "--config", str(config))
    assert explained.returncode == 0, explained.stderr
    assert "decision: skipped: its dates are out of range" in explained.stdout
    preview = run_cli("preview", "--config", str(config))
    assert preview.returncode == 0, preview.stderr
    assert "Traceback" not in preview.stderr + explained.stderr
