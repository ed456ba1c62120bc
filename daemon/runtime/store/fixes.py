"""Queries on the user's corrections of what an interview is for (`afterword fix`).

One row per event; a NULL field keeps what the invite says. The API is get / set / clear
by account and event id, so other commands (a redraft) can build on it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from afterword.daemon.model import TitleFix
from afterword.daemon.runtime.store.schema import ts


class FixQueries:
    """The title_fixes table."""

    db: sqlite3.Connection

    def title_fix(self, account: str, event_id: str) -> TitleFix | None:
        """The user's correction of this interview's company and role, if any."""
        row = self.db.execute(
            "SELECT company, role FROM title_fixes WHERE account = ? AND event_id = ?",
            (account, event_id)).fetchone()
        return TitleFix(row[0], row[1]) if row else None

    def title_fixes_of(self, account: str) -> dict[str, TitleFix]:
        """`title_fix` of every event of an account, in one query."""
        rows = self.db.execute(
            "SELECT event_id, company, role FROM title_fixes WHERE account = ?", (account,))
        return {r[0]: TitleFix(r[1], r[2]) for r in rows}

    def set_title_fix(self, account: str, event_id: str, fix: TitleFix,
                      now: datetime) -> TitleFix:
        """Store a correction; a field left None keeps an earlier correction of it."""
        self.db.execute(
            "INSERT INTO title_fixes (account, event_id, company, role, fixed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, event_id) DO UPDATE SET"
            " company = COALESCE(excluded.company, title_fixes.company),"
            " role = COALESCE(excluded.role, title_fixes.role),"
            " fixed_at = excluded.fixed_at",
            (account, event_id, fix.company, fix.role, ts(now)))
        stored = self.title_fix(account, event_id)
        assert stored is not None
        return stored

    def clear_title_fix(self, account: str, event_id: str) -> bool:
        """Forget the correction; True if there was one."""
        cur = self.db.execute("DELETE FROM title_fixes WHERE account = ? AND event_id = ?",
                              (account, event_id))
        return cur.rowcount > 0
