"""One "Name <address>" typed by the user (add-interviewer, a job's contact), checked strictly.

The address ends up in a To: header, so it is held to the same rules as any from an invite.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from afterword.daemon.errors import CONTROL_CHARS, UsageError
from afterword.daemon.interviews.addresses import valid

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
