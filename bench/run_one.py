"""One benchmark scenario in a fresh process (so peak RSS belongs to it); prints JSON."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from afterword.daemon.config import parse
from afterword.daemon.runtime.app import App
from bench import synthetic

IDLE_CYCLES = 20


def cpu() -> float:
    """CPU seconds of this process so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(step: Callable[[], object]) -> float:
    """CPU seconds one call takes."""
    before = cpu()
    step()
    return cpu() - before


def local_scenario(n_events: int, n_drafts: int, folder: Path) -> dict[str, object]:
    """The local provider: .ics file with N events, Maildir with M open drafts."""
    now = datetime.now(UTC)
    (folder / "calendar.ics").write_text(synthetic.ics_calendar(n_events, now))
    config = parse({
        "me": {"name": "Alex", "emails": ["alex@example.com"], "timezone": "UTC"},
        "accounts": [{"name": "bench", "provider": "local", "calendar": "calendar.ics",
                      "maildir": "Mail"}],
        "drafts": {"delay": "30m", "max_age": "7d"},
        "reminders": {"channels": []},
    }, base_dir=folder)
    app = App(config, state_dir=folder / "state")
    synthetic.open_maildir_drafts(app.store, folder / "Mail", "bench", n_drafts, now)
    first = measure(app.cycle.run)
    idle = [measure(app.cycle.run) for _ in range(IDLE_CYCLES)]
    return {
        "first_sync_cpu_s": round(first, 4),
        "idle_cycle_cpu_ms": round(1000 * sorted(idle)[len(idle) // 2], 3),
        "idle_requests": None,  # no network: an idle cycle is a few stat() calls
        "idle_bytes": None,
        "drafts_written": len(app.store.drafts()) - n_drafts,
    }


def _remote(provider: str, baseline: bool) -> Callable[[int, int, Path], dict[str, object]]:
    def run(n_events: int, n_drafts: int, folder: Path) -> dict[str, object]:
        from bench.remote import scenario

        return scenario(provider, n_events, n_drafts, folder, measure, baseline=baseline)
    return run


def _daemon(provider: str) -> Callable[[int, int, Path], dict[str, object]]:
    def run(n_events: int, n_drafts: int, folder: Path) -> dict[str, object]:
        from bench import daemon

        figures = daemon.idle(provider, n_events, folder / "idle")
        figures.update(daemon.latency(provider, folder / "latency"))
        return figures
    return run


def caldav_scenario(n_events: int, n_drafts: int, folder: Path) -> dict[str, object]:
    """CalDAV + IMAP against a real Radicale and Dovecot."""
    from bench.caldav import scenario

    return scenario(n_events, n_drafts, folder, measure)


SCENARIOS: dict[str, Callable[[int, int, Path], dict[str, object]]] = {
    "local": local_scenario,
    "google": _remote("google", False),
    "google-naive": _remote("google", True),
    "microsoft": _remote("microsoft", False),
    "microsoft-naive": _remote("microsoft", True),
    "caldav": caldav_scenario,
    "daemon-local": _daemon("local"),
    "daemon-google": _daemon("google"),
    "daemon-microsoft": _daemon("microsoft"),
}


def main() -> int:
    """Run one scenario and print its figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--drafts", type=int, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="afterword-bench-") as tmp:
        figures = SCENARIOS[args.provider](args.events, args.drafts, Path(tmp))
    figures.setdefault(
        "peak_rss_mb", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    figures.update({"provider": args.provider, "events": args.events,
                    "open_drafts": args.drafts, "wall_s": round(time.monotonic() - started, 2)})
    json.dump(figures, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
