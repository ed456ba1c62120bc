"""`afterword add-interviewer EVENT_ID "Jane Doe <jane@acme.com>"`: name an interviewer by hand.

The address is checked as strictly as any from an invite (it ends up in a To: header).
The stored interview is re-planned at once with the new person, so an interview that
needed names becomes ready and the next cycle drafts for them.
"""

from __future__ import annotations

from datetime import datetime

from afterword.daemon.commands.which import find_interview, live_account, replan
from afterword.daemon.config import AccountConfig
from afterword.daemon.errors import UsageError
from afterword.daemon.interviews.addresses import normalise_address
from afterword.daemon.interviews.contact import parse_recipient
from afterword.daemon.model import Interview
from afterword.daemon.runtime.cycle import Cycle

__all__ = ["add_interviewer", "parse_recipient", "stored_interview"]


def stored_interview(cycle: Cycle, event_id: str) -> tuple[Interview, AccountConfig]:
    """The one stored interview `event_id` names (an id, a unique prefix, or "last"), and
    its account; UsageError otherwise."""
    interview = find_interview(cycle.store, event_id, cycle.clock())
    return interview, live_account(cycle.config, interview)


def add_interviewer(cycle: Cycle, event_id: str, text: str, now: datetime) -> Interview:
    """Record the interviewer and re-plan the stored interview with them (`event_id` may
    also be a unique prefix, or "last")."""
    name, address = parse_recipient(text)
    interview = find_interview(cycle.store, event_id, now)
    account = live_account(cycle.config, interview)
    mine = cycle.my_emails(account)
    if normalise_address(address) in {normalise_address(m) for m in mine}:
        raise UsageError(f"{address} is your own address (me.emails / the account's address)")
    with cycle.store.transaction():
        cycle.store.add_manual_interviewer(account.name, interview.event_id, address, name, now)
        return replan(cycle, account, interview, now)
