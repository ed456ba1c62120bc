"""The real `afterword run` in a subprocess: idle RSS and draft latency.

- idle: the daemon polls a calendar of N events every second; after a few idle polls its
  VmRSS (and VmHWM) is read from /proc, and its CPU over the idle stretch from
  /proc/PID/stat; then SIGTERM.
- latency: poll_interval "5m", an interview whose end + drafts.delay is a few seconds
  after start; the time from end + delay to the draft existing (Maildir file, fake
  Gmail or Graph draft), polled every 20 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.fake_host import ACCOUNT, FakeHost

IDLE_WAIT = 8.0  # seconds of 1-second polls before RSS is read
TICKS = os.sysconf("SC_CLK_TCK")


def _afterword() -> str:
    found = Path(sys.executable).with_name("afterword")
    return str(found) if found.exists() else shutil.which("afterword") or "afterword"


def _toml(value: Any) -> str:
    return json.dumps(value)  # TOML basic strings/arrays are JSON-compatible here


def _write_config(folder: Path, account: dict[str, Any], poll: str, delay: str) -> Path:
    lines = ["[me]", 'name = "Alex Rivera"', f"emails = [{_toml(synthetic.ME)}]",
             'timezone = "UTC"', "", "[[accounts]]", f'name = "{ACCOUNT}"',
             f"address = {_toml(synthetic.ME)}"]
    lines += [f"{k} = {_toml(v)}" for k, v in account.items()]
    lines += ["", "[drafts]", f'delay = "{delay}"', 'max_age = "7d"', "",
              "[reminders]", "channels = []", "", "[daemon]", f'poll_interval = "{poll}"', "",
              "[secrets]", 'backend = "file"', ""]
    path = folder / "config.toml"
    path.write_text("\n".join(lines))
    return path


def _env(folder: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(folder / "xdg-state"),
            "XDG_CONFIG_HOME": str(folder / "xdg-config"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def _start(config: Path, folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([_afterword(), "run", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_env(folder))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _status(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # kB → MB
    return fields


def _cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    after = stat[stat.rindex(")") + 2:].split()
    return (int(after[11]) + int(after[12])) / TICKS  # utime, stime


def _remote_account(provider: str, folder: Path, host: FakeHost) -> dict[str, Any]:
    """The account's config keys; its credentials stored where the daemon will look."""
    from afterword.daemon.runtime.secrets import FileSecrets

    state = folder / "xdg-state" / "afterword"
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    secrets = FileSecrets(state / "credentials.json")
    if provider == "google":
        secrets.set(ACCOUNT, json.dumps(host.info["credentials"]))
        return {"provider": "google", "endpoint": host.info["url"]}
    from afterword.daemon.config import parse
    from afterword.providers.base import AuthOptions, ProviderContext
    from afterword.providers.microsoft.provider import MicrosoftProvider

    # The daemon (and msal here) trusts the fake authority's certificate.
    os.environ["REQUESTS_CA_BUNDLE"] = host.info["ca"]
    account = {"provider": "microsoft", "client_id": host.info["client_id"],
               "authority": host.info["authority"], "graph_endpoint": host.info["graph"]}
    config = parse({"me": {"name": "Alex Rivera", "emails": [synthetic.ME], "timezone": "UTC"},
                    "accounts": [{"name": ACCOUNT, "address": synthetic.ME, **account}]},
                   base_dir=folder)
    context = ProviderContext(timezone=UTC, my_emails=(synthetic.ME,), secrets=secrets,
                              clock=lambda: datetime.now(UTC))
    MicrosoftProvider(config.accounts[0], context).authorize(
        AuthOptions(open_browser=False, say=lambda _message: host.call("approve")))
    return account


def _local_account(folder: Path, ics: str) -> dict[str, Any]:
    (folder / "calendar.ics").write_text(ics)
    return {"provider": "local", "calendar": str(folder / "calendar.ics"),
            "maildir": str(folder / "Mail")}


def idle(provider: str, n_events: int, folder: Path) -> dict[str, object]:
    """Idle RSS and CPU of a running daemon polling every second."""
    now = datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    with _maybe_host(provider, n_events, now) as host:
        if provider == "local":
            account = _local_account(folder, synthetic.ics_calendar(n_events, now))
        else:
            account = _remote_account(provider, folder, host)
        proc = _start(_write_config(folder, account, "1s", "30m"), folder)
        try:
            time.sleep(IDLE_WAIT / 2)  # start-up and the first (full) cycle
            if proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {proc.returncode}")
            cpu_before, wall_before = _cpu_seconds(proc.pid), time.monotonic()
            time.sleep(IDLE_WAIT / 2)
            cpu = _cpu_seconds(proc.pid) - cpu_before
            wall = time.monotonic() - wall_before
            memory = _status(proc.pid)
        finally:
            _stop(proc)
    return {"idle_rss_mb": round(memory["VmRSS"], 1), "peak_rss_mb": round(memory["VmHWM"], 1),
            "idle_cpu_percent": round(100 * cpu / wall, 2)}


def latency(provider: str, folder: Path, lead: float = 6.0) -> dict[str, object]:
    """Seconds from an interview's end + delay to its draft, with a 5-minute poll."""
    delay = timedelta(seconds=2)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    end = now + timedelta(seconds=lead) - delay
    start = end - timedelta(minutes=45)
    spec = synthetic.Spec("bench-latency", "Interview at Acme", start, end,
                          ("Jane Doe", "jane@acme.example"))
    with _maybe_host(provider, 0, now) as host:
        if provider == "local":
            account = _local_account(folder, _single_ics(spec))
            drafts = folder / "Mail" / ".Drafts"

            def count() -> int:
                return sum(len(list((drafts / sub).iterdir())) for sub in ("new", "cur")
                           if (drafts / sub).is_dir())
        else:
            account = _remote_account(provider, folder, host)
            host.call("reset")
            host_events(host, provider, spec)

            def count() -> int:
                return int(host.call("drafts"))
        proc = _start(_write_config(folder, account, "5m", "2s"), folder)
        due = (end + delay).timestamp()
        try:
            deadline = due + 60
            while time.time() < deadline and count() == 0:
                if proc.poll() is not None:
                    raise RuntimeError(f"daemon exited with {proc.returncode}")
                time.sleep(0.02)
            seen = time.time()
            if count() == 0:
                raise RuntimeError("no draft within 60 s of end + delay")
        finally:
            _stop(proc)
    return {"draft_latency_s": round(seen - due, 2)}


def host_events(host: FakeHost, provider: str, spec: synthetic.Spec) -> None:
    """Put one event into the fake Google or Graph calendar."""
    host.call(("event", synthetic.google_event(spec) if provider == "google" else spec))


def _single_ics(spec: synthetic.Spec) -> str:
    name, address = spec.guest
    return "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//afterword bench//EN", "BEGIN:VEVENT",
        f"UID:{spec.uid}", f"DTSTAMP:{spec.start:%Y%m%dT%H%M%SZ}",
        f"DTSTART:{spec.start:%Y%m%dT%H%M%SZ}", f"DTEND:{spec.end:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{spec.title}", f"ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{address}",
        f"ATTENDEE;CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:{synthetic.ME}", "END:VEVENT",
        "END:VCALENDAR", ""])


class _NoHost:
    def __init__(self) -> None:
        self.info: dict[str, Any] = {}

    def __enter__(self) -> _NoHost:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _maybe_host(provider: str, n_events: int, now: datetime) -> Any:
    return _NoHost() if provider == "local" else FakeHost(provider, n_events, 0, now)
