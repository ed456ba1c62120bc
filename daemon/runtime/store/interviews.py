"""Queries on interviews and the interviewers added by hand."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from afterword.daemon.model import (
    EARLIEST,
    LATEST,
    CalendarEvent,
    Interview,
    Interviewer,
    InterviewStatus,
)
from afterword.daemon.runtime.store.schema import dt, ts


class InterviewQueries:
    """The interviews and manual_interviewers tables."""

    db: sqlite3.Connection

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
                ts(interview.start), ts(interview.end), interview.status.value,
                interview.company, interview.role, interview.location, interview.video_link,
                interview.notes, interview.reason, people, json.dumps(event.to_json()), ts(now),
            ),
        )

    def cancel_out_of_range(self) -> None:
        """Interviews stored before events out of range were refused (an end in year 9999
        made every pass fail with OverflowError) are cancelled: none can be planned."""
        self.db.execute(
            "UPDATE interviews SET status = ? WHERE status != ? AND (start < ? OR end >= ?)",
            (InterviewStatus.CANCELLED.value, InterviewStatus.CANCELLED.value,
             ts(EARLIEST), ts(LATEST)))

    def forget_interview(self, account: str, event_id: str, now: datetime) -> bool:
        """The event is gone or no longer an interview: cancel it; True if it was known."""
        cur = self.db.execute(
            "UPDATE interviews SET status = ?, updated_at = ? WHERE account = ? AND event_id = ?"
            " AND status != ?",
            (InterviewStatus.CANCELLED.value, ts(now), account, event_id,
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
            (account, InterviewStatus.CANCELLED.value, ts(end), ts(start)),
        )
        return {r[0] for r in rows}

    def interview_rows_between(self, account: str, start: datetime,
                               end: datetime) -> dict[str, tuple[object, ...]]:
        """The raw rows of `interview_ids_between`, by event id (cheap to compare)."""
        rows = self.db.execute(
            "SELECT * FROM interviews WHERE account = ? AND status != ?"
            " AND start < ? AND end > ?",
            (account, InterviewStatus.CANCELLED.value, ts(end), ts(start)),
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
        """Ready and names-needed interviews (the latter may get an ask for the names) not
        yet fully drafted that ended in (ended_after, ended_before]."""
        rows = self.db.execute(
            "SELECT * FROM interviews WHERE drafted = 0 AND status IN (?, ?) AND account = ?"
            " AND end <= ? AND end > ? ORDER BY end",
            (InterviewStatus.READY.value, InterviewStatus.NAMES_NEEDED.value, account,
             ts(ended_before), ts(ended_after)),
        )
        return [_interview(r) for r in rows]

    def awaiting_drafts(self, ended_after: datetime) -> list[Interview]:
        """Interviews whose drafts are still to come: ready or names-needed (a re-check may
        find the interviewers), not drafted, ended after `ended_after`."""
        rows = self.db.execute(
            "SELECT * FROM interviews WHERE drafted = 0 AND status IN (?, ?) AND end > ?",
            (InterviewStatus.READY.value, InterviewStatus.NAMES_NEEDED.value, ts(ended_after)))
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
            (account, event_id, email.lower(), name, ts(now)),
        )

    def manual_interviewers(self, account: str, event_id: str) -> list[tuple[str, str]]:
        """(email, name) pairs added by hand for this event."""
        rows = self.db.execute(
            "SELECT email, name FROM manual_interviewers WHERE account = ? AND event_id = ?"
            " ORDER BY added_at", (account, event_id))
        return [(r[0], r[1]) for r in rows]


def _interview(row: sqlite3.Row) -> Interview:
    start, end = dt(row["start"]), dt(row["end"])
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

