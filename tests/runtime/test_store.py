"""The state database: private, versioned, and never planning the same draft twice."""

from __future__ import annotations

import sqlite3
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon.errors import AfterwordError
from afterword.daemon.model import (
    CalendarEvent,
    DraftKey,
    DraftState,
    Interview,
    Interviewer,
    InterviewStatus,
    TitleFix,
)
from afterword.daemon.runtime.store import SCHEMA_VERSION, Store
from afterword.daemon.runtime.store.schema import MIGRATIONS, statements

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def interview(event_id: str = "ev1", people: tuple[str, ...] = ("jane@acme.example",)):
    start = NOW - timedelta(hours=2)
    event = CalendarEvent(account="a", calendar="c", id=event_id, title="Interview",
                          start=start, end=start + timedelta(hours=1))
    found = Interview(account="a", event_id=event_id, title="Interview", start=event.start,
                      end=event.end, interviewers=tuple(
                          Interviewer(name=p.split("@")[0], email=p) for p in people))
    return found, event


def test_database_is_private_and_versioned(tmp_path: Path) -> None:
    store = Store(tmp_path / "state" / "state.db")
    store.close()
    assert stat.S_IMODE((tmp_path / "state" / "state.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    db = sqlite3.connect(tmp_path / "state" / "state.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(AfterwordError, match="newer Afterword"):
        Store(path)


def test_planning_is_idempotent(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    key = DraftKey("a", "ev1", "Jane@Acme.example")
    first, created = store.plan_draft(key, "Jane", NOW)
    again, created_again = store.plan_draft(key, "Jane", NOW + timedelta(minutes=5))
    assert created and not created_again
    assert first == again and first.state is DraftState.PLANNED
    assert first.recipient == "jane@acme.example"
    store.record_drafted(key.id, "p1", None, NOW)
    store.record_failed(key.id, "ignored: already drafted")
    assert store.draft(key.id).state is DraftState.DRAFTED  # type: ignore[union-attr]
    assert store.close_draft(key.id, DraftState.SENT, NOW, sent_at=NOW)
    assert not store.close_draft(key.id, DraftState.DISCARDED, NOW)
    assert store.draft(key.id).state is DraftState.SENT  # type: ignore[union-attr]


def test_draft_keys_are_stable_and_header_safe() -> None:
    key = DraftKey("a", "uid\r\nBcc: x@evil", "Jane@acme.example")
    assert key.id == DraftKey("a", "uid\r\nBcc: x@evil", "jane@acme.example").id
    assert key.id.isalnum() and len(key.id) == 16
    assert key.id != DraftKey("a", "uid", "jane@acme.example").id


def test_interviews_become_due_again_when_a_recipient_is_added(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    found, event = interview()
    store.save_interview(found, event, NOW)
    due = store.due_interviews("a", ended_before=NOW, ended_after=NOW - timedelta(days=7))
    assert [i.event_id for i in due] == ["ev1"]
    store.mark_interview_drafted("a", "ev1")
    store.save_interview(found, event, NOW)  # unchanged: stays drafted
    assert store.due_interviews("a", NOW, NOW - timedelta(days=7)) == []
    more, _ = interview(people=("jane@acme.example", "john@acme.example"))
    store.save_interview(more, event, NOW)
    assert len(store.due_interviews("a", NOW, NOW - timedelta(days=7))[0].interviewers) == 2


def test_cancelled_interviews_are_not_due(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    found, event = interview()
    store.save_interview(found, event, NOW)
    assert store.forget_interview("a", "ev1", NOW)
    assert not store.forget_interview("a", "ev1", NOW)
    assert store.interview("a", "ev1").status is InterviewStatus.CANCELLED  # type: ignore
    assert store.due_interviews("a", NOW, NOW - timedelta(days=7)) == []
    assert store.interview_event("a", "ev1") == event


def test_an_interview_stored_with_an_end_in_year_9999_is_cancelled_on_open(
        tmp_path: Path) -> None:
    # Stored by an Afterword that did not yet refuse such events: it made `status` and
    # every pass fail with OverflowError.
    store = Store(tmp_path / "state.db")
    fine, fine_event = interview("fine")
    forever, event = interview("forever")
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    store.save_interview(replace(forever, end=far), replace(event, end=far), NOW)
    store.save_interview(fine, fine_event, NOW)
    store.close()
    store = Store(tmp_path / "state.db")
    statuses = {i.event_id: i.status for i in store.interviews()}
    assert statuses == {"fine": InterviewStatus.READY, "forever": InterviewStatus.CANCELLED}


def test_a_schema_2_database_gains_title_fixes_and_keeps_what_it_had(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:  # as the release before `afterword fix` left it
        for statement in statements(step):
            db.execute(statement)
    db.execute("INSERT INTO manual_interviewers VALUES ('a', 'ev1', 'jo@acme.example', 'Jo',"
               " '2026-11-20T12:00:00+00:00')")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = Store(path)
    assert store.manual_interviewers("a", "ev1") == [("jo@acme.example", "Jo")]
    assert store.title_fix("a", "ev1") is None
    assert store.set_title_fix("a", "ev1", TitleFix(company="Acme"), NOW) == TitleFix("Acme")
    # A later fix of the role keeps the company; "" is a correction too (none, please).
    assert store.set_title_fix("a", "ev1", TitleFix(role=""), NOW) == TitleFix("Acme", "")
    assert store.title_fixes_of("a") == {"ev1": TitleFix("Acme", "")}
    assert store.title_fixes_of("b") == {}
    assert store.clear_title_fix("a", "ev1") is True
    assert store.clear_title_fix("a", "ev1") is False
    assert store.title_fix("a", "ev1") is None
    store.close()
