"""Wiring shared by the CLI commands: config + state + secrets + clock → a Cycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from afterword.daemon.config import Config
from afterword.daemon.runtime import paths
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.lock import StateLock
from afterword.daemon.runtime.secrets import FileSecrets, KeyringSecrets, open_secrets
from afterword.daemon.runtime.store import Store


def utc_now() -> datetime:
    """The wall clock, timezone-aware, in UTC."""
    return datetime.now(UTC)


class App:
    """One configured Afterword: its state database, credentials and cycle."""

    def __init__(self, config: Config, state_dir: Path | None = None,
                 clock: Callable[[], datetime] = utc_now, exclusive: bool = False) -> None:
        self.config = config
        self.state_dir = state_dir or paths.state_dir()
        self.clock = clock
        # Commands that sync, draft or sign in hold the state folder for their whole run.
        self.lock = StateLock(self.state_dir).acquire() if exclusive else None

    @cached_property
    def store(self) -> Store:
        """The state database (opened on first use)."""
        return Store(self.state_dir / "state.db")

    @cached_property
    def secrets(self) -> KeyringSecrets | FileSecrets:
        """The credential store chosen by [secrets]."""
        return open_secrets(self.config.secrets.backend, self.state_dir)

    @cached_property
    def cycle(self) -> Cycle:
        """The cycle runner (keeps provider objects between cycles)."""
        return Cycle(self.config, self.store, self.secrets, self.clock)

    def close(self) -> None:
        """Close the state database if it was opened, and let the next process in."""
        if "store" in self.__dict__:
            self.store.close()
        if self.lock is not None:
            self.lock.release()
