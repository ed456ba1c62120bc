"""The daily cap on new drafts (`drafts.max_per_day`): past it, Afterword asks first.

Whatever slips past the other limits (a flood of one-off invites, a calendar imported
twice), no more than `max_per_day` new drafts appear in any 24 hours. Interviews that do
not fit wait: `status` and a reminder say so, and they are drafted as the count falls or
as soon as the limit is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from afterword.daemon.config import Config
from afterword.daemon.model import Interview
from afterword.daemon.runtime.store import Store

DAY = timedelta(days=1)


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
