"""Which interview the user means (an event id, a unique prefix of one, or "last"), and
re-planning it after the user added to it (people, a fix, notes)."""

from __future__ import annotations

from datetime import datetime

from afterword.daemon.config import AccountConfig, Config
from afterword.daemon.errors import UsageError
from afterword.daemon.interviews.planning import interview_of, plan
from afterword.daemon.model import Interview, InterviewStatus
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.store import Store

LAST = "last"  # the interview that ended most recently: the answer to the nudge at its end


def find_interview(store: Store, event_id: str, now: datetime) -> Interview:
    """The one interview `event_id` names; UsageError (with the candidates) otherwise."""
    event_id = event_id.strip()
    if event_id.casefold() == LAST:
        found = store.last_ended_interviews(now)
        if not found:
            raise UsageError("no interview has ended yet (`afterword status` lists them)")
    else:
        found = store.find_interviews(event_id)
        if not found:
            raise UsageError(f"no interview with id {event_id!r} (see `afterword status`, or "
                             f"`afterword explain {event_id}` for why an event is not one)")
    if len(found) > 1:
        if len({i.event_id for i in found}) == 1:
            accounts = ", ".join(sorted(i.account for i in found))
            raise UsageError(f"{event_id!r} matches interviews in several accounts "
                             f"({accounts}); give the full event id")
        listing = "; ".join(f"{i.event_id} ({' '.join(i.title.split())[:40]})"
                            for i in found[:5])
        raise UsageError(f"{event_id!r} matches {len(found)} interviews: give one's id: "
                         f"{listing}")
    return found[0]


def live_account(config: Config, interview: Interview) -> AccountConfig:
    """The configured account of an interview that is still on; UsageError otherwise."""
    account = next((a for a in config.accounts if a.name == interview.account), None)
    if account is None:
        raise UsageError(f"interview {interview.event_id} belongs to account "
                         f"'{interview.account}', which is no longer in the config")
    if interview.status is InterviewStatus.CANCELLED:
        raise UsageError(f"interview {interview.event_id} was cancelled or removed")
    return account


def replan(cycle: Cycle, account: AccountConfig, interview: Interview,
           now: datetime) -> Interview:
    """Re-plan and store an interview the user added to (people, a fix, notes); it stays
    an interview even if a config edit would now say otherwise."""
    name, event_id, store = account.name, interview.event_id, cycle.store
    event = store.interview_event(name, event_id)
    if event is None:  # the row exists, so its event does too; guard anyway
        raise UsageError(f"no stored event for interview {event_id}")
    notes = store.user_notes(name, event_id)
    planned = plan(event, cycle.config, cycle.my_emails(account),
                   store.manual_interviewers(name, event_id), store.title_fix(name, event_id),
                   notes)
    result = planned.interview or interview_of(planned.reading, planned.extraction,
                                               interview.reason, notes)
    store.save_interview(result, event, now)  # `drafted` resets when the people changed
    return result
