"""Work bounded by design, whatever lands in the calendar (strangers send invites).

- A change set loses the events of runaway series (providers/series.py: more occurrences
  on one day than anyone has interviews), however the provider read them; a series is
  remembered and warned about once. (Dates no interview has: planning.plannable.)
- The daily cap on new drafts (`drafts.max_per_day`): whatever slips past the other
  limits (a flood of one-off invites, a calendar imported twice), no more than
  `max_per_day` new drafts appear in any 24 hours. Interviews that do not fit wait:
  `status` and a reminder say so, and they are drafted as the count falls or as soon as
  the limit is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from afterword.daemon.config import Config
from afterword.daemon.model import CalendarEvent, Interview
from afterword.daemon.runtime.store import Store
from afterword.providers.base import ChangeSet, SeriesGuard

__all__ = ["bounded", "held", "held_line", "new_drafts", "room", "within_cap"]

DAY = timedelta(days=1)
log = logging.getLogger(__name__)


def bounded(store: Store, zone: tzinfo, account: str, changes: ChangeSet, now: datetime
            ) -> tuple[list[CalendarEvent], set[str], list[str]]:
    """The change set's events less those of runaway series, whichever provider
    expanded them; the ids dropped; the warnings (the provider's and new skips), logged."""
    warnings = list(changes.warnings)
    known = store.skipped_series_ids(account)
    guard = SeriesGuard(zone, known)
    # (Events with dates no interview has were taken out before: planning.plannable.)
    admitted = [e for e in changes.events if guard.admit(e.series_id, e.start, e.title)]
    events = [e for e in admitted if not guard.refused(e.series_id)]
    for series in (*changes.skipped, *guard.skipped.values()):
        if series.series_id not in known and store.skip_series(account, series, now):
            warnings.append(series.warning())
    for warning in warnings:
        log.warning("account %s: %s", account, warning)
    kept = {e.id for e in events}
    return events, {e.id for e in changes.events if e.id not in kept}, warnings


def within_cap(store: Store, config: Config, due: list[Interview], now: datetime
               ) -> tuple[list[Interview], int]:
    """The due interviews whose drafts fit under drafts.max_per_day, in order, and how
    many did not fit."""
    left, fitting, waiting = room(store, config, now), [], 0
    for interview in due:
        needed = new_drafts(store, interview)
        if needed > left:
            waiting += 1
        else:
            fitting.append(interview)
            left -= needed
    return fitting, waiting


def new_drafts(store: Store, interview: Interview) -> int:
    """How many drafts drafting this interview would add (those planned before count
    already)."""
    planned = {d.recipient for d in store.drafts_for_event(interview.account,
                                                           interview.event_id)}
    return sum(1 for p in interview.interviewers if p.email and p.email.lower() not in planned)


def room(store: Store, config: Config, now: datetime) -> int:
    """How many new drafts may still be written in the 24 hours ending now."""
    return config.drafts.max_per_day - store.drafts_written_since(now - DAY)


def held(store: Store, config: Config, now: datetime,
         accounts: Iterable[str]) -> list[Interview]:
    """Due interviews of these accounts that the cap keeps from being drafted now."""
    left = room(store, config, now)
    found = []
    for account in accounts:
        for interview in store.due_interviews(account, ended_before=now - config.drafts.delay,
                                              ended_after=now - config.drafts.max_age):
            if new_drafts(store, interview) > left:
                found.append(interview)
    return found


def held_line(count: int, config: Config) -> str:
    """What status and the log say while interviews wait for the cap."""
    cap = config.drafts.max_per_day
    return (f"{count} interview(s) not drafted: {cap} new drafts in 24 hours is the limit "
            f"(drafts.max_per_day = {cap}); if that many interviews are real, raise it in "
            "the config; otherwise look for a calendar flooded with invites. They are "
            "drafted as the day's count falls")
