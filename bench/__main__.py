"""`make bench`: every scenario in its own process; a markdown table and JSON in bench/results/.

Set BENCH_EVENTS / BENCH_DRAFTS (comma-separated) to run a subset, e.g. BENCH_EVENTS=100,
and BENCH_PROVIDERS (e.g. google,microsoft) to pick providers. A full run (none of them
set) also replaces the results in README.md, between its bench-results markers.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.report import report

RESULTS = Path(__file__).resolve().parent / "results"
README = RESULTS.parent.parent / "README.md"
SUBSET_VARIABLES = ("BENCH_EVENTS", "BENCH_DRAFTS", "BENCH_PROVIDERS")
START, END = "<!-- bench-results:start -->", "<!-- bench-results:end -->"
EVENTS = [int(x) for x in os.environ.get("BENCH_EVENTS", "100,1000,10000,50000").split(",")]
DRAFTS = [int(x) for x in os.environ.get("BENCH_DRAFTS", "0,10,500").split(",")]
PROVIDERS = os.environ.get(
    "BENCH_PROVIDERS",
    "local,google,google-naive,microsoft,microsoft-naive,caldav,daemon").split(",")
# The naive baseline re-reads the whole window every cycle: past 10,000 events it only
# takes long, the ratio is already plain.
NAIVE_MAX_EVENTS = 10_000
DAEMON_EVENTS = 1_000
# Radicale keeps one file per event and parses them all on upload: 10,000 takes minutes
# of setup, and the idle figures do not grow with N (see the 100 and 1,000 rows).
CALDAV_MAX_EVENTS = 1_000


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
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu})"
            f"{memory}, Python {platform.python_version()}")


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


def plan() -> list[tuple[str, int, int]]:
    """(scenario, N, M) in the order they run."""
    runs = []
    for provider in PROVIDERS:
        if provider == "daemon":
            runs += [(f"daemon-{name}", DAEMON_EVENTS, 0)
                     for name in ("local", "google", "microsoft")]
            continue
        for events in EVENTS:
            if provider.endswith("-naive") and events > NAIVE_MAX_EVENTS:
                continue
            if provider == "caldav" and events > CALDAV_MAX_EVENTS:
                continue
            runs += [(provider, events, drafts) for drafts in DRAFTS]
    return runs


def main() -> int:
    """Run every scenario, print the tables, write latest.json and latest.md."""
    rows = []
    for provider, events, drafts in plan():
        row = run(provider, events, drafts)
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = report(rows, stamp, machine(), NAIVE_MAX_EVENTS)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(
        {"measured": stamp, "machine": machine(), "results": rows}, indent=1) + "\n")
    (RESULTS / "latest.md").write_text(text)
    if not any(name in os.environ for name in SUBSET_VARIABLES):
        update_readme(text)
    print(text)
    return 0


def update_readme(text: str) -> None:
    """The README's results section becomes this run's (its headings one level down)."""
    readme = README.read_text()
    if START not in readme or END not in readme:
        print(f"README.md has no {START} … {END} section: not updated", file=sys.stderr)
        return
    body = "\n".join("#" + line if line.startswith("### ") else line
                     for line in text.strip().splitlines())
    before, rest = readme.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{body}\n{END}{after}")


if __name__ == "__main__":
    sys.exit(main())
