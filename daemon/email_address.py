"""The one address validator: what config, `add-interviewer`, extraction and drafting accept.

Strict on purpose (RFC 5321/5322 dot-atom, ASCII): an address we accept here is one the
draft builder can put in a To header, so a guest who passes never stops a panel later.
"""

from __future__ import annotations

import re

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,63}})$")


def valid_address(address: str | None) -> bool:
    """A plain ASCII addr-spec (no display name, comment, list, quoted local part or
    double dot), at most 254 characters with a local part of at most 64."""
    if not address or len(address) > 254:
        return False
    match = _ADDRESS.fullmatch(address)
    return match is not None and len(match["local"]) <= 64
