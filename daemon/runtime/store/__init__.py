"""The state database: interviews seen, drafts and their lifecycle, sync cursors.

SQLite in WAL mode, file mode 0600, schema versioned with forward migrations
(`PRAGMA user_version`, schema.py). A draft's intent (`planned`) is committed before the
provider is called, so a crash between "create" and "record" is recovered by looking for
the key. Every SQL query of Afterword lives in this package, one module per group of
tables; the rest of the application calls named methods.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from afterword.daemon.runtime.paths import is_state_problem, state_problem
from afterword.daemon.runtime.store.accounts import AccountQueries, AccountState
from afterword.daemon.runtime.store.capture import CaptureQueries
from afterword.daemon.runtime.store.drafts import DraftQueries
from afterword.daemon.runtime.store.fixes import FixQueries
from afterword.daemon.runtime.store.interviews import InterviewQueries
from afterword.daemon.runtime.store.limits import LimitQueries
from afterword.daemon.runtime.store.reminders import ReminderQueries
from afterword.daemon.runtime.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    StateConnection,
    statements,
)

__all__ = ["AccountState", "Store"]


class Store(AccountQueries, InterviewQueries, DraftQueries, ReminderQueries, FixQueries,
            LimitQueries, CaptureQueries):
    """One open state database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._open(path)
        except (OSError, sqlite3.Error) as err:
            if isinstance(err, sqlite3.Error) and not is_state_problem(err):
                raise
            raise state_problem(path.parent, err) from None

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # Create it private before SQLite writes a byte into it.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
        # The daemon's scheduler runs jobs in worker threads, one at a time under a lock.
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                  check_same_thread=False, factory=StateConnection)
        self.db.folder = path.parent
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self.cancel_out_of_range()
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    @classmethod
    def open_readonly(cls, path: Path) -> Store:
        """An existing database opened read-only (`afterword preview`): never created,
        migrated or written; the schema must be the current one."""
        from afterword.daemon.errors import AfterwordError

        store = cls.__new__(cls)
        store.path = path
        store.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                   isolation_level=None, factory=StateConnection)
        store.db.folder = path.parent
        store.db.row_factory = sqlite3.Row
        version = store.db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            store.db.close()
            raise AfterwordError(f"{path}: state schema {version}, this Afterword uses "
                                 f"{SCHEMA_VERSION}; run `afterword run --once` first")
        return store

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            from afterword.daemon.errors import AfterwordError

            raise AfterwordError(
                f"{self.path}: state was written by a newer Afterword (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade Afterword"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk).
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
