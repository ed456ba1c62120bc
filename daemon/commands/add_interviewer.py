"""`afterword add-interviewer EVENT_ID "Jane Doe <jane@acme.com>"`: name an interviewer by hand.

The address is checked as strictly as any from an invite (it ends up in a To: header).
The stored interview is re-planned at once with the new person, so an interview that
needed names becomes ready and the next cycle drafts for them.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parseaddr

from afterword.daemon.errors import UsageError
from afterword.daemon.interviews.addresses import normalise_address, valid
from afterword.daemon.model import Interview, InterviewStatus
from afterword.daemon.runtime.cycle import Cycle

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_NAME_ADDRESS = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>]*)>")


def parse_recipient(text: str) -> tuple[str, str]:
    """("Jane Doe", "jane@acme.com") from "Jane Doe <jane@acme.com>", "Doe, Jane <...>" or a
    bare address.

    UsageError for anything that is not exactly one plain address: control characters,
    several addresses, a missing or malformed address, a name with <, > or @ in it.
    """
    if _CONTROL.search(text):
        raise UsageError("the interviewer contains control characters or line breaks; "
                         "expected \"Name <address>\"")
    # One "@" in all: the stdlib parser has been fooled by crafted names before.
    if text.count("@") != 1:
        raise UsageError(f"expected one \"Name <address>\", got {_shown(text)}")
    match = _NAME_ADDRESS.fullmatch(text.strip())
    if match:
        name = match.group("name").strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].strip()
        address = match.group("address").strip()
    elif not re.search(r"[\s<>\"]", text.strip()):
        name, address = "", text.strip()
    else:
        raise UsageError(f"expected one \"Name <address>\", got {_shown(text)}")
    name = " ".join(name.split())
    if any(c in name for c in "<>@\"") or len(name) > 100:
        raise UsageError(f"the name in {_shown(text)} is not a plain name")
    # The stdlib must read the address the same way (no comments, routes or groups).
    if not valid(address) or parseaddr(f"<{address}>")[1] != address:
        raise UsageError(f"not a valid email address in {_shown(text)}; expected "
                         "\"Jane Doe <jane@acme.com>\"")
    return name, address.lower()


def _shown(text: str) -> str:
    return repr(_CONTROL.sub("?", text)[:120])


def add_interviewer(cycle: Cycle, event_id: str, text: str, now: datetime) -> Interview:
    """Record the interviewer and re-plan the stored interview with them."""
    name, address = parse_recipient(text)
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
    mine = cycle.my_emails(account)
    if normalise_address(address) in {normalise_address(m) for m in mine}:
        raise UsageError(f"{address} is your own address (me.emails / the account's address)")
    if interview.status is InterviewStatus.CANCELLED:
        raise UsageError(f"interview {interview.event_id} was cancelled or removed")
    with cycle.store.transaction():
        cycle.store.add_manual_interviewer(account.name, interview.event_id, address, name, now)
        return cycle.replan(account, interview, now)
