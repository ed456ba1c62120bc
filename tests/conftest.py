"""Shared fixtures: private XDG folders, an in-memory keyring, and the installed CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import keyring.backend
import pytest

AFTERWORD = shutil.which("afterword", path=str(Path(sys.executable).parent)) or "afterword"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in memory: tests never touch a real keychain."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keyring; the previous backend is restored."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Private XDG config/state folders for every test (and for subprocesses)."""
    dirs = {name: tmp_path / "xdg" / name for name in ("config", "state", "runtime")}
    for path in dirs.values():
        path.mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["state"]))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(dirs["runtime"]))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    return dirs


@dataclass
class Result:
    """A finished CLI run."""

    returncode: int
    stdout: str
    stderr: str


def _cli_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {**os.environ, **(env or {})}
    # The subprocess must not find a real keychain: the file backend or an env keyring.
    full_env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return full_env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            input: str | None = None) -> Result:
    """Run the installed `afterword` command as a subprocess."""
    proc = subprocess.run([AFTERWORD, *args], capture_output=True, text=True,
                          env=_cli_env(env), timeout=timeout, input=input)
    return Result(proc.returncode, proc.stdout, proc.stderr)


# Runs the command given and writes its peak RSS (KiB) to the file named first. A small
# go-between, because Linux carries a process's peak across exec: a CLI forked straight
# from pytest would report pytest's own size as its peak.
_PEAK = ("import resource, subprocess, sys\n"
         "code = subprocess.call(sys.argv[2:])\n"
         "with open(sys.argv[1], 'w') as out:\n"
         "    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
         "sys.exit(code)\n")


def run_cli_peak(*args: str, timeout: float = 120) -> tuple[Result, int]:
    """Run the CLI like `run_cli`; also return that one process's peak RSS in KiB."""
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        proc = subprocess.run([sys.executable, "-c", _PEAK, str(peak), AFTERWORD, *args],
                              capture_output=True, text=True, env=_cli_env(None),
                              timeout=timeout)
        return Result(proc.returncode, proc.stdout, proc.stderr), int(peak.read_text())


def ics_time(moment: datetime) -> str:
    """A UTC iCalendar date-time."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(uid: str, title: str, start: datetime, minutes: int = 60,
           attendees: list[str] | None = None, extra: list[str] | None = None) -> str:
    """One VEVENT block; `attendees` are raw ATTENDEE lines (params + mailto)."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{ics_time(start)}",
        f"DTSTART:{ics_time(start)}",
        f"DTEND:{ics_time(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{title}",
        *(f"ATTENDEE;{a}" for a in attendees or []),
        *(extra or []),
        "END:VEVENT",
    ]
    return "\r\n".join(lines)


def calendar(*events: str) -> str:
    """A VCALENDAR around the given VEVENT blocks."""
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *events,
                        "END:VCALENDAR", ""])


def local_config(tmp_path: Path, *, calendar_path: Path | None = None,
                 extra: str = "", accounts: str | None = None) -> Path:
    """A config with one local account named `local` (and optional extra TOML)."""
    cal = calendar_path or tmp_path / "calendar.ics"
    account = accounts if accounts is not None else (
        f'[[accounts]]\nname = "local"\nprovider = "local"\n'
        f'calendar = "{cal}"\nmaildir = "{tmp_path / "Mail"}"\n')
    text = (
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f"{account}\n[reminders]\nchannels = []\n{extra}\n"
    )
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path
