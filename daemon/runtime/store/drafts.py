"""Queries on drafts: the lifecycle planned → drafted → sent | discarded | gone | dismissed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from afterword.daemon.model import DraftKey, DraftKind, DraftRecord, DraftState
from afterword.daemon.runtime.store.schema import dt, ts


class DraftQueries:
    """The drafts table."""

    db: sqlite3.Connection

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
            " state, planned_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key.id, key.account, key.event_id, key.recipient.lower(), name,
             DraftState.PLANNED.value, ts(now), key.kind.value),
        )
        record = self.draft(key.id)
        assert record is not None
        return record, cur.rowcount > 0

    def record_drafted(self, key: str, provider_id: str, thread_id: str | None,
                       now: datetime, version: str | None = None) -> None:
        """The draft exists in the mailbox (`version`: its content marker, if known)."""
        self.db.execute(
            "UPDATE drafts SET state = ?, provider_id = ?, thread_id = ?, created_at = ?,"
            " version = ?, last_error = '', attempts = attempts + 1 WHERE key = ?",
            (DraftState.DRAFTED.value, provider_id, thread_id, ts(now), version, key),
        )

    def record_redrafted(self, key: str, provider_id: str, thread_id: str | None,
                         version: str | None) -> None:
        """The draft's content was replaced in place (`afterword redraft`)."""
        self.db.execute(
            "UPDATE drafts SET provider_id = ?, thread_id = COALESCE(?, thread_id),"
            " version = ? WHERE key = ?", (provider_id, thread_id, version, key))

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
            (state.value, ts(sent_at), ts(now), key, DraftState.SENT.value,
             DraftState.DISCARDED.value, DraftState.GONE.value, state.value),
        )
        return cur.rowcount > 0

    def snooze(self, key: str, until: datetime) -> None:
        """No reminder about this draft before `until`."""
        self.db.execute("UPDATE drafts SET snoozed_until = ? WHERE key = ?", (ts(until), key))

    def record_reminded(self, keys: Iterable[str], now: datetime) -> None:
        """A reminder about these drafts went out."""
        self.db.executemany(
            "UPDATE drafts SET last_reminded_at = ?, reminders_sent = reminders_sent + 1"
            " WHERE key = ?", [(ts(now), k) for k in keys])

    def find_draft_keys(self, prefix: str) -> list[str]:
        """Draft keys starting with `prefix` (users may type a short prefix)."""
        like = prefix.replace("%", r"\%").replace("_", r"\_") + "%"
        rows = self.db.execute("SELECT key FROM drafts WHERE key LIKE ? ESCAPE '\\'", (like,))
        return [r[0] for r in rows]


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
        created_at=dt(data["created_at"]),
        sent_at=dt(data["sent_at"]),
        closed_at=dt(data["closed_at"]),
        attempts=data["attempts"],
        last_error=data["last_error"],
        snoozed_until=dt(data["snoozed_until"]),
        last_reminded_at=dt(data["last_reminded_at"]),
        reminders_sent=data["reminders_sent"],
        version=data["version"],
        kind=DraftKind(data["kind"]),
    )
