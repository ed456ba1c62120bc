"""Addresses as mailboxes: the user's own, normalised, matched against lists and domains.

Pure helpers for `reading` (which classifies every guest once). Addresses come from
strangers' invites: nothing here trusts their shape; `email_address.valid_address` is
the one validator.
"""

from __future__ import annotations

from collections.abc import Iterable

from afterword.daemon.model import Attendee

# Gmail ignores dots in the local part and treats googlemail.com as gmail.com.
_GMAIL = {"gmail.com", "googlemail.com"}


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
