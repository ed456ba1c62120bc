"""Queries on the reminder history of what is not a draft (names needed, re-auth, caps)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from afterword.daemon.runtime.store.schema import dt, ts


class ReminderQueries:
    """The reminder_subjects table."""

    db: sqlite3.Connection

    def subject_history(self, subject: str
                        ) -> tuple[datetime | None, int, datetime | None, bool] | None:
        """(last reminded, how many sent, snoozed until, dismissed) of a non-draft subject;
        None if it has no history."""
        row = self.db.execute("SELECT * FROM reminder_subjects WHERE subject = ?",
                              (subject,)).fetchone()
        if row is None:
            return None
        return (dt(row["last_reminded_at"]), row["reminders_sent"],
                dt(row["snoozed_until"]), bool(row["dismissed"]))

    def _subject_row(self, subject: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO reminder_subjects (subject) VALUES (?)",
                        (subject,))

    def snooze_subject(self, subject: str, until: datetime) -> None:
        """No reminder about this subject before `until`."""
        self._subject_row(subject)
        self.db.execute("UPDATE reminder_subjects SET snoozed_until = ? WHERE subject = ?",
                        (ts(until), subject))

    def dismiss_subject(self, subject: str) -> None:
        """No more reminders about this subject (`afterword done`)."""
        self._subject_row(subject)
        self.db.execute("UPDATE reminder_subjects SET dismissed = 1 WHERE subject = ?",
                        (subject,))

    def forget_subject(self, subject: str) -> None:
        """Start the subject's history afresh (e.g. an account signed in again)."""
        self.db.execute("DELETE FROM reminder_subjects WHERE subject = ?", (subject,))

    def record_subjects_reminded(self, subjects: Iterable[str], now: datetime) -> None:
        """A reminder about these subjects went out."""
        for subject in subjects:
            self._subject_row(subject)
            self.db.execute(
                "UPDATE reminder_subjects SET last_reminded_at = ?,"
                " reminders_sent = reminders_sent + 1 WHERE subject = ?", (ts(now), subject))
