"""A real `afterword run` in a subprocess, with its log lines collected as they come."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.conftest import AFTERWORD

T = TypeVar("T")


class Daemon:
    """`afterword run --config PATH` running in the background."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, **(env or {})}
        full_env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        self.proc = subprocess.Popen([AFTERWORD, "run", "--config", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=full_env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        """Everything logged so far."""
        return "\n".join(self.lines)

    def wait_for(self, check: Callable[[], T], what: str, timeout: float = 90) -> T:
        """Poll `check` until it returns something truthy; fail with the log otherwise.

        The generous default costs nothing when the daemon is on time and leaves room for
        a loaded CI machine; a test that means "promptly" asserts the time itself."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited ({self.proc.returncode}) while waiting "
                                     f"for {what}:\n{self.log}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log}")

    def wait_log(self, text: str, timeout: float = 90) -> str:
        """Wait for a log line containing `text`; return it."""
        return self.wait_for(lambda: next((ln for ln in self.lines if text in ln), ""),
                             f"log line {text!r}", timeout)

    def signal(self, signum: signal.Signals) -> None:
        """Send a signal to the daemon."""
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=5)

    def kill(self) -> None:
        """Make sure it is gone (always called in a finally)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
