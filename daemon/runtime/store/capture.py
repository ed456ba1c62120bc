"""Queries on what the user captured after an interview and the notices that asked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from afterword.daemon.model import Interview, InterviewStatus, UserNote
from afterword.daemon.runtime.store.interviews import _interview
from afterword.daemon.runtime.store.schema import dt, ts


class CaptureQueries:
    """The interview_notes and capture_notices tables."""

    db: sqlite3.Connection

    def add_user_notes(self, account: str, event_id: str, notes: Iterable[UserNote],
                       now: datetime) -> None:
        """Keep notes the user gave for an interview (`afterword note`)."""
        self.db.executemany(
            "INSERT INTO interview_notes (account, event_id, who, text, added_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(account, event_id, n.who, n.text, ts(now)) for n in notes])

    def user_notes(self, account: str, event_id: str) -> list[UserNote]:
        """The notes the user gave for one interview, oldest first."""
        rows = self.db.execute(
            "SELECT who, text, added_at FROM interview_notes WHERE account = ? AND event_id = ?"
            " ORDER BY id", (account, event_id))
        return [UserNote(r[0], r[1], dt(r[2])) for r in rows]

    def user_notes_of(self, account: str) -> dict[str, list[UserNote]]:
        """`user_notes` of every interview of an account, in one query."""
        found: dict[str, list[UserNote]] = {}
        for r in self.db.execute(
                "SELECT event_id, who, text, added_at FROM interview_notes WHERE account = ?"
                " ORDER BY id", (account,)):
            found.setdefault(r[0], []).append(UserNote(r[1], r[2], dt(r[3])))
        return found

    def clear_user_notes(self, account: str, event_id: str, who: str | None = None) -> int:
        """Forget the user's notes for an interview (only those for `who`, when given);
        returns how many were removed."""
        sql = "DELETE FROM interview_notes WHERE account = ? AND event_id = ?"
        args: tuple[str, ...] = (account, event_id)
        if who is not None:
            sql += " AND who = ?"
            args += (who,)
        return self.db.execute(sql, args).rowcount

    def last_ended_interviews(self, now: datetime) -> list[Interview]:
        """The live interviews that ended most recently (at or before `now`): one, or
        several that ended at the same moment."""
        live = InterviewStatus.CANCELLED.value
        row = self.db.execute("SELECT MAX(end) FROM interviews WHERE status != ? AND end <= ?",
                              (live, ts(now))).fetchone()
        if row is None or row[0] is None:
            return []
        rows = self.db.execute("SELECT * FROM interviews WHERE status != ? AND end = ?",
                               (live, row[0]))
        return [_interview(r) for r in rows]

    def interviews_ending_after(self, moment: datetime) -> list[Interview]:
        """Live interviews that end after `moment` (the ones a nudge may still be about)."""
        rows = self.db.execute("SELECT * FROM interviews WHERE status != ? AND end > ?"
                               " ORDER BY start", (InterviewStatus.CANCELLED.value, ts(moment)))
        return [_interview(r) for r in rows]

    def capture_notices_sent(self) -> set[tuple[str, str, str]]:
        """(account, event id, kind) of every notice already sent."""
        return {(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT account, event_id, kind FROM capture_notices")}

    def claim_capture_notice(self, account: str, event_id: str, kind: str,
                             now: datetime) -> bool:
        """Record that this notice goes out now; False if it already went (never twice)."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO capture_notices (account, event_id, kind, sent_at)"
            " VALUES (?, ?, ?, ?)", (account, event_id, kind, ts(now)))
        return cur.rowcount > 0
