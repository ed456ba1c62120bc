"""The state database's schema: forward migrations, and how times are stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afterword.daemon.runtime.paths import is_state_problem, state_problem

# Each entry upgrades the schema by one version; never edit a released step, append one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        cursor TEXT,
        synced_at TEXT,
        needs_reauth INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        last_error_at TEXT
    );
    CREATE TABLE interviews (
        account TEXT NOT NULL,
        event_id TEXT NOT NULL,
        title TEXT NOT NULL,
        start TEXT NOT NULL,
        end TEXT NOT NULL,
        status TEXT NOT NULL,
        company TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT '',
        location TEXT NOT NULL DEFAULT '',
        video_link TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        interviewers TEXT NOT NULL DEFAULT '[]',
        event TEXT NOT NULL,
        drafted INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, event_id)
    );
    CREATE INDEX interviews_due ON interviews (drafted, status, end);
    CREATE TABLE drafts (
        key TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        event_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        recipient_name TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        provider_id TEXT,
        thread_id TEXT,
        planned_at TEXT NOT NULL,
        created_at TEXT,
        sent_at TEXT,
        closed_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        snoozed_until TEXT,
        last_reminded_at TEXT,
        reminders_sent INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX drafts_by_state ON drafts (account, state);
    CREATE INDEX drafts_by_event ON drafts (account, event_id);
    CREATE TABLE manual_interviewers (
        account TEXT NOT NULL,
        event_id TEXT NOT NULL,
        email TEXT NOT NULL,
        name TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (account, event_id, email)
    );
    """,
    # Reminder history of what is not a draft: names needed, accounts needing re-auth.
    """
    CREATE TABLE reminder_subjects (
        subject TEXT PRIMARY KEY,
        last_reminded_at TEXT,
        reminders_sent INTEGER NOT NULL DEFAULT 0,
        snoozed_until TEXT,
        dismissed INTEGER NOT NULL DEFAULT 0
    );
    """,
    # The mailbox's version marker of each draft as written (`afterword redraft`).
    """
    ALTER TABLE drafts ADD COLUMN version TEXT;
    """,
    # The user's corrections of an interview's company and role (`afterword fix`);
    # NULL keeps what the invite says.
    """
    CREATE TABLE title_fixes (
        account TEXT NOT NULL,
        event_id TEXT NOT NULL,
        company TEXT,
        role TEXT,
        fixed_at TEXT NOT NULL,
        PRIMARY KEY (account, event_id)
    );
    """,
    # What a draft is for: a thank-you note, or the one ask for the interviewers' names.
    """
    ALTER TABLE drafts ADD COLUMN kind TEXT NOT NULL DEFAULT 'thanks';
    """,
    # What the mailbox provider knows of Drafts (a Gmail historyId, a Graph deltaLink):
    # a new process tracks from there instead of listing Drafts again.
    """
    ALTER TABLE accounts ADD COLUMN mailbox_cursor TEXT;
    """,
    # Repeating events skipped for making more interviews a day than anyone attends.
    """
    CREATE TABLE skipped_series (
        account TEXT NOT NULL,
        series_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL,
        skipped_at TEXT NOT NULL,
        PRIMARY KEY (account, series_id)
    );
    """,
    # What the user wrote down after an interview (`afterword note`), and the notices
    # around an interview (names at its start, notes at its end), each sent once.
    """
    CREATE TABLE interview_notes (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        event_id TEXT NOT NULL,
        who TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE INDEX interview_notes_by_event ON interview_notes (account, event_id);
    CREATE TABLE capture_notices (
        account TEXT NOT NULL,
        event_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (account, event_id, kind)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class StateConnection(sqlite3.Connection):
    """A connection whose disk problems (full, read-only, unwritable) are one StateError
    naming the folder, wherever in the code the write happens."""

    folder = Path(".")

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        """`Connection.execute`, disk problems mapped."""
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as err:
            if is_state_problem(err):
                raise state_problem(self.folder, err) from None
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        """`Connection.executemany`, disk problems mapped."""
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as err:
            if is_state_problem(err):
                raise state_problem(self.folder, err) from None
            raise


def ts(value: datetime | None) -> str | None:
    """A time as stored: ISO 8601 in UTC, to the second."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def dt(value: str | None) -> datetime | None:
    """A stored time back as an aware datetime."""
    return datetime.fromisoformat(value) if value else None



def statements(script: str) -> list[str]:
    """The SQL statements of one migration step."""
    return [s.strip() for s in script.split(";") if s.strip()]
