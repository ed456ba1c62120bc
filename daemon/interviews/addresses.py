"""Who an address is: you, a room, a group or robot, a shared mailbox, or maybe a person.

Pure helpers shared by detection (is there another human?) and extraction (who gets a
note?). Addresses come from strangers' invites: nothing here trusts their shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from afterword.daemon.model import Attendee

_VALID = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
# Gmail ignores dots in the local part and treats googlemail.com as gmail.com.
_GMAIL = {"gmail.com", "googlemail.com"}
# Google's calendar-owned addresses: rooms, groups, imported and shared calendars.
_GOOGLE_RESOURCE = "resource.calendar.google.com"
_GOOGLE_CALENDARS = ("group.calendar.google.com", "group.v.calendar.google.com",
                     "import.calendar.google.com", "calendar.google.com")
# Rooms listed as ordinary guests (Outlook does this when a room is typed in as a guest).
_ROOM_NAME = re.compile(
    r"(?i)^(?:conf(?:erence)?\.?\s*rm\.?|conf(?:erence)?\.?\s*room|meeting\s*room|board\s*room|"
    r"room\b|huddle\s*(?:room|space)|phone\s*booth|focus\s*room)|\b(?:conference|meeting)\s+"
    r"room\b|\((?:room|resource)\)")


def valid(address: str | None) -> bool:
    """A plain addr-spec we would ever write to."""
    return bool(address) and len(address or "") <= 254 and bool(_VALID.match(address or ""))


def normalise_address(address: str) -> str:
    """The mailbox an address reaches: lower-case, +tag removed, Gmail dots removed."""
    local, _, domain = address.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def my_addresses(emails: Iterable[str]) -> frozenset[str]:
    """The normalised set of the user's addresses."""
    return frozenset(normalise_address(e) for e in emails if e and "@" in e)


def is_me(attendee: Attendee, mine: frozenset[str]) -> bool:
    """The user: the provider's self flag, or one of their addresses (plus-tags included)."""
    if attendee.is_self:
        return True
    return bool(attendee.email) and normalise_address(attendee.email or "") in mine


def is_room(attendee: Attendee) -> bool:
    """A room or other resource, by the provider's flag, Google's domain or the name."""
    if attendee.is_resource:
        return True
    domain = (attendee.email or "").rsplit("@", 1)[-1].lower()
    if domain == _GOOGLE_RESOURCE or domain.endswith("." + _GOOGLE_RESOURCE):
        return True
    return bool(attendee.name and _ROOM_NAME.search(attendee.name))


def is_calendar_address(address: str) -> bool:
    """A Google group/imported calendar address, never a person."""
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in _GOOGLE_CALENDARS)


def local_matches(address: str, entries: Iterable[str], suffix: bool) -> str | None:
    """The entry this address matches: a whole address, its local part, or local + "-team".

    `recruiting` matches recruiting@, recruiting-team@ and (with `suffix`) acme-recruiting@;
    dots are not separators here because first.last is how people's addresses look.
    """
    address = address.lower()
    local = address.split("@", 1)[0].split("+", 1)[0]
    for entry in entries:
        if "@" in entry:
            if normalise_address(entry) == normalise_address(address):
                return entry
            continue
        if local == entry or local.replace(".", "") == entry.replace("-", ""):
            return entry
        # entry + "-"/"_" at the start, or (suffix) "-"/"_" + entry at the end; plain
        # string tests, as this runs for every guest of every interview.
        size = len(entry)
        if len(local) > size and local.startswith(entry) and local[size] in "-_":
            return entry
        if suffix and len(local) > size and local.endswith(entry) and local[-size - 1] in "-_":
            return entry
    return None


def in_domains(address: str, domains: Iterable[str]) -> str | None:
    """The listed domain this address belongs to (subdomains included)."""
    domain = address.rsplit("@", 1)[-1].lower()
    for entry in domains:
        if domain == entry or domain.endswith("." + entry):
            return entry
    return None
