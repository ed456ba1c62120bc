"""Work bounded by design: runaway .ics series and the daily cap on new drafts, as the
user sees them (`run --once`, the Maildir, `status`, `explain`, the reminder)."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon.config import parse
from afterword.daemon.reminders import policy, sending
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.secrets import KeyringSecrets
from afterword.daemon.runtime.store import Store
from tests.conftest import calendar, local_config, run_cli, run_cli_peak, vevent
from tests.runtime.test_daemon import drafts_in

JANE = ["CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane@acme.com"]


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=HOURLY",
                                  "FREQ=DAILY;BYHOUR=9,10,11,12", "FREQ=HOURLY;INTERVAL=1"])
def test_an_invite_repeating_more_than_three_times_a_day_drafts_nothing(
        tmp_path: Path, rule: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("flood@stranger", "Interview", start, minutes=1, attendees=JANE,
               extra=[f"RRULE:{rule}"]),
        # A real weekly series beside it still gets its note.
        vevent("weekly@acme", "Interview with Acme", start - timedelta(days=7),
               attendees=["CN=Bob Roe:mailto:bob@acme.com"], extra=["RRULE:FREQ=WEEKLY"])))
    config = local_config(tmp_path)
    first, peak_kib = run_cli_peak("run", "--once", "--config", str(config))
    assert first.returncode == 0, first.stderr
    # Memory flat: FREQ=SECONDLY once grew the daemon to 6 GB.
    assert peak_kib < 200_000
    notes = drafts_in(tmp_path / "Mail" / ".Drafts")
    assert len(notes) == 1  # the weekly occurrence two days ago, to Bob
    warned = [ln for ln in first.stderr.splitlines() if "repeating event" in ln]
    assert len(warned) == 1 and "'Interview' (series flood@stranger)" in warned[0]
    again = run_cli("run", "--once", "--config", str(config))
    assert "repeating event" not in again.stderr  # said once
    shown = run_cli("status", "--config", str(config))
    assert "Repeating events skipped" in shown.stdout
    assert "afterword explain flood@stranger" in shown.stdout
    why = run_cli("explain", "flood@stranger", "--config", str(config))
    assert why.returncode == 0, why.stderr
    assert "decision: skipped:" in why.stdout and "a day" in why.stdout
    data = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert [s["series_id"] for s in data["skipped_series"]] == ["flood@stranger"]


def test_many_occurrences_in_one_day_without_a_rule_are_caught_after_expansion(
        tmp_path: Path) -> None:
    # RDATEs: nothing in the rule says "often", the guard counts what expansion made.
    start = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=6)
    dates = ",".join((start + timedelta(minutes=10 * n)).strftime("%Y%m%dT%H%M%SZ")
                     for n in range(1, 20))
    (tmp_path / "calendar.ics").write_text(calendar(vevent(
        "rdates@stranger", "Interview", start, minutes=5, attendees=JANE,
        extra=[f"RDATE:{dates}"])))
    result = run_cli("run", "--once", "--config", str(local_config(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert drafts_in(tmp_path / "Mail" / ".Drafts") == {}
    assert "more than 3 occurrences on" in result.stderr


def test_past_drafts_max_per_day_afterword_asks_instead_of_drafting(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    (tmp_path / "calendar.ics").write_text(calendar(*(
        vevent(f"one-{n}@acme", f"Interview {n}", start + timedelta(minutes=n),
               attendees=[f"CN=Person {n}:mailto:p{n}@acme.com"]) for n in range(7))))
    path = local_config(tmp_path, extra='[drafts]\nmax_per_day = 4\n')
    config = parse(tomllib.loads(path.read_text()), base_dir=tmp_path)
    store = Store(tmp_path / "state.db")
    now = datetime.now(UTC)
    cycle = Cycle(config, store, KeyringSecrets(), lambda: now)
    report = cycle.run()
    assert len(report.accounts[0].drafted) == 4
    assert len(drafts_in(tmp_path / "Mail" / ".Drafts")) == 4
    line = "3 interview(s) not drafted: 4 new drafts in 24 hours is the limit"
    assert any(w.startswith(line) for w in report.accounts[0].warnings)
    assert store.account("local").last_error.startswith(line)  # `status`: ! account local
    # The reminder asks about it (and says what to do).
    held = [s for s in sending.subjects(config, store, now) if s.kind is policy.Kind.HELD]
    assert len(held) == 1
    notice = policy.digest(held, config.me.timezone)
    assert "drafting paused" in notice.title and "drafts.max_per_day = 4" in notice.body
    assert len(cycle.run().accounts[0].drafted) == 0  # still held the same day
    # The log says it once, not every pass.
    assert sum(line in r.getMessage() for r in caplog.records) == 1
    # A day later there is room again: the rest are drafted, once.
    now += timedelta(days=1, minutes=1)
    assert len(cycle.run().accounts[0].drafted) == 3
    assert len(drafts_in(tmp_path / "Mail" / ".Drafts")) == 7
    assert not [s for s in sending.subjects(config, store, now) if s.kind is policy.Kind.HELD]
