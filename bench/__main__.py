"""`make bench`: every scenario in its own process; a markdown table and JSON in bench/results/.

Set BENCH_EVENTS / BENCH_DRAFTS (comma-separated) to run a subset, e.g. BENCH_EVENTS=100.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.run_one import SCENARIOS

RESULTS = Path(__file__).resolve().parent / "results"
EVENTS = [int(x) for x in os.environ.get("BENCH_EVENTS", "100,1000,10000,50000").split(",")]
DRAFTS = [int(x) for x in os.environ.get("BENCH_DRAFTS", "0,10,500").split(",")]
COLUMNS = [
    ("provider", "provider"), ("events", "N events"), ("open_drafts", "M drafts"),
    ("idle_requests", "idle requests"), ("idle_bytes", "idle bytes"),
    ("idle_cycle_cpu_ms", "idle CPU ms"), ("first_sync_cpu_s", "first sync CPU s"),
    ("peak_rss_mb", "peak RSS MB"),
]


def machine() -> str:
    """A one-line description of where the figures were taken."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), " \
           f"Python {platform.python_version()}"


def run(provider: str, events: int, drafts: int) -> dict[str, object]:
    """One scenario in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_one", "--provider", provider, "--events", str(events),
         "--drafts", str(drafts)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["failed"]
        return {"provider": provider, "events": events, "open_drafts": drafts,
                "error": tail[0]}
    figures: dict[str, object] = json.loads(proc.stdout)
    return figures


def table(rows: list[dict[str, object]]) -> str:
    """The results as a markdown table."""
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key)
            cells.append("—" if value is None else str(value))
        if "error" in row:
            cells[-1] = f"failed: {row['error']}"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    """Run every scenario, print the table, write latest.json and latest.md."""
    rows = []
    for provider in SCENARIOS:
        for events in EVENTS:
            for drafts in DRAFTS:
                row = run(provider, events, drafts)
                print(json.dumps(row), file=sys.stderr)
                rows.append(row)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = f"Measured {stamp} on {machine()}.\n\n{table(rows)}\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(
        {"measured": stamp, "machine": machine(), "results": rows}, indent=1) + "\n")
    (RESULTS / "latest.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
