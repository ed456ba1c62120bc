"""The benchmark harness still runs: the smallest scenario of each provider, no timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(provider: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_one", "--provider", provider, "--events", "100",
         "--drafts", "10"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    figures: dict[str, object] = json.loads(proc.stdout)
    return figures


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_an_idle_cycle_costs_at_most_two_small_requests(provider):
    figures = bench(provider)
    assert figures["drafts_written"] == 5  # the first cycle drafted the due interviews
    assert isinstance(figures["idle_requests"], float | int)
    assert figures["idle_requests"] <= 2
    assert isinstance(figures["idle_bytes"], int)
    assert figures["idle_bytes"] <= 10 * 1024


def test_the_naive_baseline_asks_for_every_draft_every_cycle():
    figures = bench("google-naive")
    # One window listing plus one drafts.get for each of the 10 + 5 open drafts.
    assert figures["idle_requests"] == 16


def test_the_local_scenario_drafts_and_idles():
    figures = bench("local")
    assert figures["drafts_written"] == 5
    assert figures["idle_requests"] is None  # no network


def test_a_full_run_replaces_the_readme_results_and_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.__main__ as harness

    readme = tmp_path / "README.md"
    readme.write_text(f"# Intro\n\n{harness.START}\nold table\n{harness.END}\n\n## Next\n")
    monkeypatch.setattr(harness, "README", readme)
    harness.update_readme("Measured now.\n\n### Table\n| a |\n")
    assert readme.read_text() == (f"# Intro\n\n{harness.START}\nMeasured now.\n\n#### Table\n"
                                  f"| a |\n{harness.END}\n\n## Next\n")


def test_the_caldav_scenario_idles_at_one_report_and_one_imap_connection():
    figures = bench("caldav")
    assert figures["drafts_written"] == 5
    assert figures["idle_caldav_requests"] == 1  # one REPORT for the one calendar
    assert figures["idle_imap_commands"] == 4  # CAPABILITY, LOGIN, STATUS, LOGOUT
    assert figures["idle_imap_session_commands"] == 3
    assert figures["idle_requests"] == 2  # the REPORT and the STATUS
    # The report takes a row without bytes (a real server's wire is not metered).
    from bench.report import report

    text = report([figures], "now", "here", 10_000)
    assert "✓ idle cycle ≤ 2 requests per account" in text
    assert "| caldav | 100 | 10 | 2.0 ✓ | — |" in text
