"""`afterword add-interviewer EVENT_ID "Jane Doe <jane@acme.com>"`: name an interviewer by hand.

The address is checked as strictly as any from an invite (it ends up in a To: header).
The stored interview is re-planned at once with the new person, so an interview that
needed names becomes ready and the next cycle drafts for them.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parseaddr

from afterword.daemon.commands.which import find_interview, live_account
from afterword.daemon.errors import CONTROL_CHARS, UsageError
from afterword.daemon.interviews.addresses import normalise_address, valid
from afterword.daemon.model import Interview
from afterword.daemon.runtime.cycle import Cycle

_NAME_ADDRESS = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>]*)>")


def parse_recipient(text: str) -> tuple[str, str]:
    """("Jane Doe", "jane@acme.com") from "Jane Doe <jane@acme.com>", "Doe, Jane <...>" or a
    bare address.

    UsageError for anything that is not exactly one plain address: control characters,
    several addresses, a missing or malformed address, a name with <, > or @ in it.
    """
    if CONTROL_CHARS.search(text):
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
    return repr(CONTROL_CHARS.sub("?", text)[:120])


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
        return cycle.replan(account, interview, now)
