"""Guests who are never people: the curated catalog (data/non_people.toml) and the user's
own `recipients.not_people` patterns.

Patterns are shell-style (`*` is any run of characters), case-insensitive, on the whole
address or on the display name. Every match says which entry it was, so `explain` can
name it ("the Fireflies.ai notetaker (Fred)").
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Entry:
    """One kind of non-person: what it is called and how to recognise it."""

    kind: str  # room | bot | scheduler | calendar | configured (the user's own)
    name: str
    addresses: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Catalog:
    """Entries compiled for matching; one regex per entry and field."""

    entries: tuple[Entry, ...]
    _address: tuple[re.Pattern[str] | None, ...]
    _name: tuple[re.Pattern[str] | None, ...]

    def match(self, email: str | None, name: str | None) -> Entry | None:
        """The first entry this guest matches (address first, then display name)."""
        # Bounded as names and addresses are (a stranger's megabyte costs nothing more).
        address = (email or "")[:320].strip().lower()
        shown = " ".join((name or "")[:300].split()).lower()
        for entry, by_address, by_name in zip(self.entries, self._address, self._name,
                                              strict=True):
            if address and by_address is not None and by_address.match(address):
                return entry
            if shown and by_name is not None and by_name.match(shown):
                return entry
        return None


def _compile(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p.strip().lower()) for p in patterns if p.strip()]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


def compile_entries(entries: Iterable[Entry]) -> Catalog:
    """A Catalog of `entries`, in order."""
    listed = tuple(entries)
    return Catalog(listed, tuple(_compile(e.addresses) for e in listed),
                   tuple(_compile(e.names) for e in listed))


@lru_cache(maxsize=1)
def packaged() -> tuple[Entry, ...]:
    """The entries shipped with Afterword (data/non_people.toml)."""
    text = resources.files("afterword.daemon.interviews").joinpath(
        "data/non_people.toml").read_text(encoding="utf-8")
    return tuple(Entry(kind=str(e["kind"]), name=str(e["name"]),
                       addresses=tuple(e.get("addresses", ())),
                       names=tuple(e.get("names", ())), source=str(e.get("source", "")))
                 for e in tomllib.loads(text)["entry"])


def configured(patterns: Iterable[str]) -> tuple[Entry, ...]:
    """`recipients.not_people`: a pattern with "@" is an address, any other a name."""
    return tuple(Entry("configured", f"recipients.not_people {p!r}",
                       addresses=(p,) if "@" in p else (), names=() if "@" in p else (p,))
                 for p in patterns if p.strip())


@lru_cache(maxsize=16)
def catalog(patterns: tuple[str, ...] = ()) -> Catalog:
    """The user's patterns first (they are the more specific), then the packaged ones."""
    return compile_entries((*configured(patterns), *packaged()))

