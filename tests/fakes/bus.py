"""A private D-Bus session bus with the recording notification service on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE = Path(__file__).with_name("notifications.py")


@dataclass
class Bus:
    """A running private bus: its address and the notifications recorded on it."""

    address: str
    record: Path

    def notifications(self) -> list[dict[str, Any]]:
        """Every Notify call the fake service answered, in order."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]


def dbus_daemon() -> str | None:
    """The dbus-daemon program, if installed (Debian package `dbus`)."""
    return shutil.which("dbus-daemon")


def _stop(proc: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextmanager
def session_bus(tmp: Path) -> Iterator[Bus]:
    """Start `dbus-daemon --session` and the notification service; stop both after."""
    program = dbus_daemon()
    assert program, "dbus-daemon is missing: `apt-get install dbus` (make test does it as root)"
    bus = subprocess.Popen([program, "--session", "--nofork", "--nopidfile",
                            "--print-address=1"], stdout=subprocess.PIPE, text=True)
    service: subprocess.Popen[str] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        assert address, "dbus-daemon printed no address"
        record = tmp / "notifications.jsonl"
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address}
        service = subprocess.Popen([sys.executable, str(SERVICE), str(record)], env=env,
                                   stdout=subprocess.PIPE, text=True)
        assert service.stdout is not None
        assert service.stdout.readline().strip() == "ready"
        yield Bus(address, record)
    finally:
        if service is not None:
            _stop(service)
        _stop(bus)
