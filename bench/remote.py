"""The `google` and `microsoft` scenarios: the real App/Cycle, real provider and client
libraries, against the fake servers (in another process), plus the naive baseline."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afterword.daemon.config import Config, parse
from afterword.daemon.runtime.app import App
from afterword.daemon.runtime.secrets import FileSecrets
from afterword.providers.base import AuthOptions, ProviderContext
from bench import naive, synthetic
from bench.fake_host import ACCOUNT, FakeHost

IDLE_CYCLES = 20
NAIVE_IDLE_CYCLES = 5  # each one re-reads the whole window
Measure = Callable[[Callable[[], object]], float]


def _config(folder: Path, account: dict[str, Any]) -> Config:
    return parse({
        "me": {"name": "Alex Rivera", "emails": [synthetic.ME], "timezone": "UTC"},
        "accounts": [{"name": ACCOUNT, "address": synthetic.ME, **account}],
        "drafts": {"delay": "30m", "max_age": "7d"},
        "reminders": {"channels": []},
        "secrets": {"backend": "file"},
    }, base_dir=folder)


def _google_app(host: FakeHost, folder: Path) -> App:
    config = _config(folder, {"provider": "google", "endpoint": host.info["url"]})
    app = App(config, state_dir=folder / "state")
    FileSecrets(folder / "state" / "credentials.json").set(
        ACCOUNT, json.dumps(host.info["credentials"]))
    return app


def _microsoft_app(host: FakeHost, folder: Path) -> App:
    from afterword.providers.microsoft.provider import MicrosoftProvider

    # The daemon trusts the fake authority's certificate the way a user's requests would.
    os.environ["REQUESTS_CA_BUNDLE"] = host.info["ca"]
    config = _config(folder, {"provider": "microsoft", "client_id": host.info["client_id"],
                              "authority": host.info["authority"],
                              "graph_endpoint": host.info["graph"]})
    app = App(config, state_dir=folder / "state")
    context = ProviderContext(timezone=UTC, my_emails=(synthetic.ME,), secrets=app.secrets,
                              clock=app.clock)
    signer = MicrosoftProvider(config.accounts[0], context)
    signer.authorize(AuthOptions(open_browser=False, say=lambda _m: host.call("approve")))
    return app


def scenario(provider: str, n_events: int, n_drafts: int, folder: Path,
             measure: Measure, *, baseline: bool = False) -> dict[str, object]:
    """First cycle and idle cycles of one account; with `baseline`, the naive provider."""
    now = datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    with FakeHost(provider, n_events, n_drafts, now) as host:
        app = (_google_app if provider == "google" else _microsoft_app)(host, folder)
        synthetic.record_open_drafts(app.store, host.info["refs"], now)
        if baseline:
            account = app.config.accounts[0]
            real = app.cycle.provider(account)
            app.cycle._providers[account.name] = naive.wrap(real)
        host.call("reset")
        first_report = None

        def first() -> None:
            nonlocal first_report
            first_report = app.cycle.run()

        first_cpu = measure(first)
        assert first_report is not None
        if not first_report.ok:
            raise RuntimeError(f"first cycle failed: {first_report.accounts[0].errors}")
        first_counts = host.call("counters")
        host.call("reset")
        cycles = NAIVE_IDLE_CYCLES if baseline else IDLE_CYCLES
        idle = [measure(app.cycle.run) for _ in range(cycles)]
        counts = host.call("counters")
        drafted = len(first_report.accounts[0].drafted)
        app.close()
    return {
        "first_sync_cpu_s": round(first_cpu, 4),
        "first_sync_requests": first_counts["requests"],
        "idle_cycle_cpu_ms": round(1000 * sorted(idle)[len(idle) // 2], 3),
        "idle_requests": round(counts["requests"] / cycles, 2),
        "idle_bytes": round(counts["bytes"] / cycles),
        "drafts_written": drafted,
        "baseline": baseline,
    }

