"""Queries on the accounts table: sync cursors, errors, needs-sign-in."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from afterword.daemon.runtime.store.schema import dt, ts


@dataclass(frozen=True)
class AccountState:
    """What the store remembers about one account."""

    name: str
    cursor: str | None
    synced_at: datetime | None
    needs_reauth: bool
    last_error: str
    last_error_at: datetime | None



class AccountQueries:
    """The accounts table."""

    db: sqlite3.Connection

    def account(self, name: str) -> AccountState:
        """The stored state of an account (defaults when never seen)."""
        row = self.db.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return AccountState(name, None, None, False, "", None)
        return AccountState(
            name=row["name"],
            cursor=row["cursor"],
            synced_at=dt(row["synced_at"]),
            needs_reauth=bool(row["needs_reauth"]),
            last_error=row["last_error"],
            last_error_at=dt(row["last_error_at"]),
        )

    def accounts(self) -> list[AccountState]:
        """Every account the store has seen."""
        names = [r[0] for r in self.db.execute("SELECT name FROM accounts ORDER BY name")]
        return [self.account(n) for n in names]

    def _ensure_account(self, name: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO accounts (name) VALUES (?)", (name,))

    def set_cursor(self, name: str, cursor: str | None, now: datetime) -> None:
        """Remember the sync cursor after a successful sync (and clear the account's error)."""
        self._ensure_account(name)
        self.db.execute(
            "UPDATE accounts SET cursor = ?, synced_at = ?, needs_reauth = 0, last_error = '',"
            " last_error_at = NULL WHERE name = ?",
            (cursor, ts(now), name),
        )

    def reset_cursors(self) -> None:
        """Forget every cursor: the next cycle reads every window in full."""
        self.db.execute("UPDATE accounts SET cursor = NULL")

    def set_account_error(self, name: str, error: str, now: datetime,
                          needs_reauth: bool = False) -> None:
        """Record the account's latest failure (shown by `status`)."""
        self._ensure_account(name)
        self.db.execute(
            "UPDATE accounts SET last_error = ?, last_error_at = ?,"
            " needs_reauth = MAX(needs_reauth, ?) WHERE name = ?",
            (error, ts(now), int(needs_reauth), name),
        )

    def clear_account_error(self, name: str) -> None:
        """The account works again."""
        self._ensure_account(name)
        self.db.execute(
            "UPDATE accounts SET last_error = '', last_error_at = NULL, needs_reauth = 0"
            " WHERE name = ?", (name,))
