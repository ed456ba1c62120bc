"""The state database: interviews seen, drafts and their lifecycle, sync cursors.

SQLite in WAL mode, file mode 0600, schema versioned with forward migrations
(`PRAGMA user_version`). A draft's intent (`planned`) is committed before the provider
is called, so a crash between "create" and "record" is recovered by looking for the key.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afterword.daemon.model import (
    CalendarEvent,
    DraftKey,
    DraftRecord,
    DraftState,
    Interview,
    Interviewer,
    InterviewStatus,
)
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
]

SCHEMA_VERSION = len(MIGRATIONS)


class _StateConnection(sqlite3.Connection):
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


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class AccountState:
    """What the store remembers about one account."""

    name: str
    cursor: str | None
    synced_at: datetime | None
    needs_reauth: bool
    last_error: str
    last_error_at: datetime | None


class Store:
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
                                  check_same_thread=False, factory=_StateConnection)
        self.db.folder = path.parent
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
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
                                   isolation_level=None, factory=_StateConnection)
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
                for statement in _statements(MIGRATIONS[number]):
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

    # -- accounts ---------------------------------------------------------------------

    def account(self, name: str) -> AccountState:
        """The stored state of an account (defaults when never seen)."""
        row = self.db.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return AccountState(name, None, None, False, "", None)
        return AccountState(
            name=row["name"],
            cursor=row["cursor"],
            synced_at=_dt(row["synced_at"]),
            needs_reauth=bool(row["needs_reauth"]),
            last_error=row["last_error"],
            last_error_at=_dt(row["last_error_at"]),
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
            (cursor, _ts(now), name),
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
            (error, _ts(now), int(needs_reauth), name),
        )

    def clear_account_error(self, name: str) -> None:
        """The account works again."""
        self._ensure_account(name)
        self.db.execute(
            "UPDATE accounts SET last_error = '', last_error_at = NULL, needs_reauth = 0"
            " WHERE name = ?", (name,))

    # -- interviews -------------------------------------------------------------------

    def save_interview(self, interview: Interview, event: CalendarEvent, now: datetime) -> None:
        """Insert or update an interview; it becomes due again if a recipient was added."""
        people = json.dumps([i.to_json() for i in interview.interviewers])
        self.db.execute(
            """
            INSERT INTO interviews (account, event_id, title, start, end, status, company, role,
                location, video_link, notes, reason, interviewers, event, drafted, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
            ON CONFLICT (account, event_id) DO UPDATE SET
                title = excluded.title, start = excluded.start, end = excluded.end,
                status = excluded.status, company = excluded.company, role = excluded.role,
                location = excluded.location, video_link = excluded.video_link,
                notes = excluded.notes, reason = excluded.reason,
                interviewers = excluded.interviewers, event = excluded.event,
                drafted = CASE WHEN interviews.interviewers = excluded.interviewers
                               AND interviews.status = excluded.status
                               AND interviews.end = excluded.end
                          THEN interviews.drafted ELSE 0 END,
                updated_at = excluded.updated_at
            """,
            (
                interview.account, interview.event_id, interview.title,
                _ts(interview.start), _ts(interview.end), interview.status.value,
                interview.company, interview.role, interview.location, interview.video_link,
                interview.notes, interview.reason, people, json.dumps(event.to_json()), _ts(now),
            ),
        )

    def forget_interview(self, account: str, event_id: str, now: datetime) -> bool:
        """The event is gone or no longer an interview: cancel it; True if it was known."""
        cur = self.db.execute(
            "UPDATE interviews SET status = ?, updated_at = ? WHERE account = ? AND event_id = ?"
            " AND status != ?",
            (InterviewStatus.CANCELLED.value, _ts(now), account, event_id,
             InterviewStatus.CANCELLED.value),
        )
        return cur.rowcount > 0

    def live_interview_ids(self, account: str) -> set[str]:
        """Ids of every interview of `account` that is not cancelled."""
        rows = self.db.execute("SELECT event_id FROM interviews WHERE account = ? AND status != ?",
                               (account, InterviewStatus.CANCELLED.value))
        return {r[0] for r in rows}

    def interview_ids_between(self, account: str, start: datetime, end: datetime) -> set[str]:
        """Ids of live interviews of `account` overlapping [start, end)."""
        rows = self.db.execute(
            "SELECT event_id FROM interviews WHERE account = ? AND status != ?"
            " AND start < ? AND end > ?",
            (account, InterviewStatus.CANCELLED.value, _ts(end), _ts(start)),
        )
        return {r[0] for r in rows}

    def interview_rows_between(self, account: str, start: datetime,
                               end: datetime) -> dict[str, tuple[object, ...]]:
        """The raw rows of `interview_ids_between`, by event id (cheap to compare)."""
        rows = self.db.execute(
            "SELECT * FROM interviews WHERE account = ? AND status != ?"
            " AND start < ? AND end > ?",
            (account, InterviewStatus.CANCELLED.value, _ts(end), _ts(start)),
        )
        return {r["event_id"]: tuple(r) for r in rows}

    def interview_row(self, account: str, event_id: str) -> tuple[object, ...] | None:
        """One interview's raw row."""
        row = self.db.execute(
            "SELECT * FROM interviews WHERE account = ? AND event_id = ?", (account, event_id)
        ).fetchone()
        return tuple(row) if row else None

    def manual_interviewers_of(self, account: str) -> dict[str, list[tuple[str, str]]]:
        """`manual_interviewers` of every event of an account, in one query."""
        found: dict[str, list[tuple[str, str]]] = {}
        for r in self.db.execute(
                "SELECT event_id, email, name FROM manual_interviewers WHERE account = ?"
                " ORDER BY added_at", (account,)):
            found.setdefault(r[0], []).append((r[1], r[2]))
        return found

    def interview(self, account: str, event_id: str) -> Interview | None:
        """One interview."""
        row = self.db.execute(
            "SELECT * FROM interviews WHERE account = ? AND event_id = ?", (account, event_id)
        ).fetchone()
        return _interview(row) if row else None

    def interview_event(self, account: str, event_id: str) -> CalendarEvent | None:
        """The calendar event an interview was made from, as last seen."""
        row = self.db.execute(
            "SELECT event FROM interviews WHERE account = ? AND event_id = ?", (account, event_id)
        ).fetchone()
        return CalendarEvent.from_json(json.loads(row[0])) if row else None

    def find_interviews(self, event_id: str) -> list[Interview]:
        """Interviews with this event id (in any account); a unique prefix also matches."""
        rows = self.db.execute("SELECT * FROM interviews WHERE event_id = ?", (event_id,))
        found = [_interview(r) for r in rows]
        if not found and len(event_id) >= 6:
            like = event_id.replace("%", r"\%").replace("_", r"\_") + "%"
            rows = self.db.execute(
                "SELECT * FROM interviews WHERE event_id LIKE ? ESCAPE '\\'", (like,))
            found = [_interview(r) for r in rows]
        return found

    def interviews(self, account: str | None = None) -> list[Interview]:
        """All interviews (optionally of one account), oldest first."""
        if account is None:
            rows = self.db.execute("SELECT * FROM interviews ORDER BY start")
        else:
            rows = self.db.execute(
                "SELECT * FROM interviews WHERE account = ? ORDER BY start", (account,))
        return [_interview(r) for r in rows]

    def due_interviews(self, account: str, ended_before: datetime,
                       ended_after: datetime) -> list[Interview]:
        """Ready interviews not yet fully drafted that ended in (ended_after, ended_before]."""
        rows = self.db.execute(
            "SELECT * FROM interviews WHERE drafted = 0 AND status = ? AND account = ?"
            " AND end <= ? AND end > ? ORDER BY end",
            (InterviewStatus.READY.value, account, _ts(ended_before), _ts(ended_after)),
        )
        return [_interview(r) for r in rows]

    def mark_interview_drafted(self, account: str, event_id: str) -> None:
        """Every interviewer of this interview has a draft: skip it in later cycles."""
        self.db.execute(
            "UPDATE interviews SET drafted = 1 WHERE account = ? AND event_id = ?",
            (account, event_id))

    def add_manual_interviewer(self, account: str, event_id: str, email: str, name: str,
                               now: datetime) -> None:
        """An interviewer the user added by hand (`afterword add-interviewer`)."""
        self.db.execute(
            "INSERT OR REPLACE INTO manual_interviewers VALUES (?, ?, ?, ?, ?)",
            (account, event_id, email.lower(), name, _ts(now)),
        )

    def manual_interviewers(self, account: str, event_id: str) -> list[tuple[str, str]]:
        """(email, name) pairs added by hand for this event."""
        rows = self.db.execute(
            "SELECT email, name FROM manual_interviewers WHERE account = ? AND event_id = ?"
            " ORDER BY added_at", (account, event_id))
        return [(r[0], r[1]) for r in rows]

    # -- drafts -----------------------------------------------------------------------

    def draft(self, key: str) -> DraftRecord | None:
        """One draft by its key."""
        row = self.db.execute("SELECT * FROM drafts WHERE key = ?", (key,)).fetchone()
        return _draft(row) if row else None

    def drafts(self, account: str | None = None,
               states: Iterable[DraftState] | None = None) -> list[DraftRecord]:
        """Drafts, optionally filtered by account and states."""
        sql, args = "SELECT * FROM drafts WHERE 1", []
        if account is not None:
            sql += " AND account = ?"
            args.append(account)
        if states is not None:
            wanted = [s.value for s in states]
            sql += f" AND state IN ({','.join('?' * len(wanted))})"
            args += wanted
        rows = self.db.execute(sql + " ORDER BY planned_at, key", args)
        return [_draft(r) for r in rows]

    def open_draft_refs(self, account: str, dismissed: bool = False
                        ) -> dict[str, tuple[str, str | None]]:
        """key → (provider id, thread id) of the account's drafts waiting in the mailbox
        (with `dismissed`, also those the user said `done` about: they may still be sent)."""
        states = [DraftState.DRAFTED.value] + ([DraftState.DISMISSED.value] if dismissed else [])
        rows = self.db.execute(
            "SELECT key, provider_id, thread_id FROM drafts WHERE account = ?"
            f" AND state IN ({','.join('?' * len(states))}) AND provider_id IS NOT NULL",
            (account, *states))
        return {r[0]: (r[1] or "", r[2]) for r in rows}

    def drafts_for_event(self, account: str, event_id: str) -> list[DraftRecord]:
        """Every draft made for one interview."""
        rows = self.db.execute(
            "SELECT * FROM drafts WHERE account = ? AND event_id = ? ORDER BY planned_at",
            (account, event_id))
        return [_draft(r) for r in rows]

    def plan_draft(self, key: DraftKey, name: str, now: datetime) -> tuple[DraftRecord, bool]:
        """Record the intent to draft (committed before the provider is called).

        Returns the record as it now stands and whether this call created it; an
        existing record is left unchanged.
        """
        cur = self.db.execute(
            "INSERT OR IGNORE INTO drafts (key, account, event_id, recipient, recipient_name,"
            " state, planned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key.id, key.account, key.event_id, key.recipient.lower(), name,
             DraftState.PLANNED.value, _ts(now)),
        )
        record = self.draft(key.id)
        assert record is not None
        return record, cur.rowcount > 0

    def record_drafted(self, key: str, provider_id: str, thread_id: str | None,
                       now: datetime) -> None:
        """The draft exists in the mailbox."""
        self.db.execute(
            "UPDATE drafts SET state = ?, provider_id = ?, thread_id = ?, created_at = ?,"
            " last_error = '', attempts = attempts + 1 WHERE key = ?",
            (DraftState.DRAFTED.value, provider_id, thread_id, _ts(now), key),
        )

    def record_failed(self, key: str, error: str) -> None:
        """The attempt failed; the next cycle looks for the key, then retries."""
        self.db.execute(
            "UPDATE drafts SET state = ?, last_error = ?, attempts = attempts + 1"
            " WHERE key = ? AND state IN (?, ?)",
            (DraftState.FAILED.value, error, key, DraftState.PLANNED.value,
             DraftState.FAILED.value),
        )

    def update_provider_ref(self, key: str, provider_id: str, thread_id: str | None) -> None:
        """The provider now knows the draft under another id (e.g. it was re-saved)."""
        self.db.execute(
            "UPDATE drafts SET provider_id = ?, thread_id = COALESCE(?, thread_id) WHERE key = ?",
            (provider_id, thread_id, key))

    def close_draft(self, key: str, state: DraftState, now: datetime,
                    sent_at: datetime | None = None) -> bool:
        """The draft was sent, discarded, gone or dismissed; True if its state changed.

        A dismissed draft (no reminders) can still be sent or deleted later: that is
        recorded too. Sent, discarded and gone are for good.
        """
        assert state.is_final
        cur = self.db.execute(
            "UPDATE drafts SET state = ?, sent_at = COALESCE(?, sent_at), closed_at = ?"
            " WHERE key = ? AND state NOT IN (?, ?, ?, ?)",
            (state.value, _ts(sent_at), _ts(now), key, DraftState.SENT.value,
             DraftState.DISCARDED.value, DraftState.GONE.value, state.value),
        )
        return cur.rowcount > 0

    def snooze(self, key: str, until: datetime) -> None:
        """No reminder about this draft before `until`."""
        self.db.execute("UPDATE drafts SET snoozed_until = ? WHERE key = ?", (_ts(until), key))

    def record_reminded(self, keys: Iterable[str], now: datetime) -> None:
        """A reminder about these drafts went out."""
        self.db.executemany(
            "UPDATE drafts SET last_reminded_at = ?, reminders_sent = reminders_sent + 1"
            " WHERE key = ?", [(_ts(now), k) for k in keys])

    def find_draft_keys(self, prefix: str) -> list[str]:
        """Draft keys starting with `prefix` (users may type a short prefix)."""
        like = prefix.replace("%", r"\%").replace("_", r"\_") + "%"
        rows = self.db.execute("SELECT key FROM drafts WHERE key LIKE ? ESCAPE '\\'", (like,))
        return [r[0] for r in rows]


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _interview(row: sqlite3.Row) -> Interview:
    start, end = _dt(row["start"]), _dt(row["end"])
    assert start is not None and end is not None
    return Interview(
        account=row["account"],
        event_id=row["event_id"],
        title=row["title"],
        start=start,
        end=end,
        interviewers=tuple(Interviewer.from_json(i) for i in json.loads(row["interviewers"])),
        status=InterviewStatus(row["status"]),
        company=row["company"],
        role=row["role"],
        location=row["location"],
        video_link=row["video_link"],
        notes=row["notes"],
        reason=row["reason"],
    )


def _draft(row: sqlite3.Row) -> DraftRecord:
    data: dict[str, Any] = dict(row)
    return DraftRecord(
        key=data["key"],
        account=data["account"],
        event_id=data["event_id"],
        recipient=data["recipient"],
        recipient_name=data["recipient_name"],
        state=DraftState(data["state"]),
        provider_id=data["provider_id"],
        thread_id=data["thread_id"],
        created_at=_dt(data["created_at"]),
        sent_at=_dt(data["sent_at"]),
        closed_at=_dt(data["closed_at"]),
        attempts=data["attempts"],
        last_error=data["last_error"],
        snoozed_until=_dt(data["snoozed_until"]),
        last_reminded_at=_dt(data["last_reminded_at"]),
        reminders_sent=data["reminders_sent"],
    )
