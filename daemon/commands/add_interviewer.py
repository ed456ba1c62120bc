"""`afterword add-interviewer EVENT_ID "Jane Doe <jane@acme.com>"`: name an interviewer by hand.

The address is checked as strictly as any from an invite (it ends up in a To: header).
The stored interview is re-planned at once with the new person, so an interview that
needed names becomes ready and the next cycle drafts for them.
"""

from __future__ import annotations

from datetime import datetime

from afterword.daemon.config import AccountConfig
from afterword.daemon.errors import UsageError
from afterword.daemon.interviews import people
from afterword.daemon.interviews.addresses import normalise_address
from afterword.daemon.interviews.contact import parse_recipient
from afterword.daemon.interviews.planning import plan
from afterword.daemon.model import Interview, InterviewStatus
from afterword.daemon.runtime.cycle import Cycle

__all__ = ["add_interviewer", "parse_recipient", "stored_interview"]


def stored_interview(cycle: Cycle, event_id: str) -> tuple[Interview, AccountConfig]:
    """The one stored interview with this event id, and its account; UsageError otherwise."""
    found = cycle.store.find_interviews(event_id)
    if not found:
        raise UsageError(f"no interview with id {event_id!r} (see `afterword status`, or "
                         f"`afterword explain {event_id}` for why an event is not one)")
    if len(found) > 1:
        accounts = ", ".join(sorted(i.account for i in found))
        raise UsageError(f"{event_id!r} matches interviews in several accounts ({accounts}); "
                         "give the full event id")
    interview = found[0]
    account = next((a for a in cycle.config.accounts if a.name == interview.account), None)
    if account is None:
        raise UsageError(f"interview {interview.event_id} belongs to account "
                         f"'{interview.account}', which is no longer in the config")
    return interview, account


def add_interviewer(cycle: Cycle, event_id: str, text: str, now: datetime) -> Interview:
    """Record the interviewer and re-plan the stored interview with them."""
    name, address = parse_recipient(text)
    interview, account = stored_interview(cycle, event_id)
    mine = cycle.my_emails(account)
    if normalise_address(address) in {normalise_address(m) for m in mine}:
        raise UsageError(f"{address} is your own address (me.emails / the account's address)")
    if interview.status is InterviewStatus.CANCELLED:
        raise UsageError(f"interview {interview.event_id} was cancelled or removed")
    event = cycle.store.interview_event(account.name, interview.event_id)
    if event is None:  # the row exists, so its event does too; guard anyway
        raise UsageError(f"no stored event for interview {interview.event_id}")
    with cycle.store.transaction():
        cycle.store.add_manual_interviewer(account.name, interview.event_id, address, name, now)
        updated = plan(event, cycle.config, mine,
                       cycle.store.manual_interviewers(account.name, interview.event_id),
                       cycle.store.title_fix(account.name, interview.event_id))
        result = updated.interview or people.build_interview(
            event, updated.extraction, interview.reason)  # a config edit may say "not one"
        # save_interview resets `drafted` because the interviewers changed: due again.
        cycle.store.save_interview(result, event, now)
    return result
