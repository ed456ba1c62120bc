"""Queries behind the limits on work: skipped runaway series, drafts made per day."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from afterword.daemon.runtime.store.schema import dt, ts
from afterword.providers.base import SkippedSeries


class LimitQueries:
    """The skipped_series table, and counts of recent drafts."""

    db: sqlite3.Connection

    def skip_series(self, account: str, series: SkippedSeries, now: datetime) -> bool:
        """Remember a series never to plan; True if it was not skipped before."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO skipped_series VALUES (?, ?, ?, ?, ?)",
            (account, series.series_id, series.title[:200], series.reason, ts(now)))
        return cur.rowcount > 0

    def skipped_series_ids(self, account: str) -> set[str]:
        """The ids of every series skipped in this account."""
        rows = self.db.execute("SELECT series_id FROM skipped_series WHERE account = ?",
                               (account,))
        return {r[0] for r in rows}

    def skipped_series(self) -> list[tuple[str, SkippedSeries, datetime]]:
        """(account, series, when it was skipped) for every skipped series, newest first."""
        rows = self.db.execute("SELECT * FROM skipped_series ORDER BY skipped_at DESC")
        return [(r["account"], SkippedSeries(r["series_id"], r["title"], r["reason"]),
                 dt(r["skipped_at"]) or datetime.min) for r in rows]

    def drafts_written_since(self, since: datetime) -> int:
        """How many drafts were written (or are being written) since `since`, any account."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM drafts WHERE COALESCE(created_at, planned_at) >= ?",
            (ts(since),)).fetchone()
        return int(row[0])
