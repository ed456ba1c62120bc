"""provider = "local": a calendar from .ics files, drafts into a Maildir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from afterword.providers.base import OptionReader, ProviderSpec


@dataclass(frozen=True)
class LocalOptions:
    """A local account's keys."""

    calendar: Path | None = None  # an .ics file or a folder of them
    maildir: Path | None = None  # drafts go to its .Drafts folder


def read_options(t: OptionReader) -> LocalOptions:
    """The local account's keys from its config table."""
    return LocalOptions(calendar=t.path("calendar", required=True),
                        maildir=t.path("maildir", required=True))


def _writes(options: LocalOptions) -> tuple[Path, ...]:
    return (options.maildir,) if options.maildir else ()


SPEC = ProviderSpec("local", "afterword.providers.local.provider:LocalProvider", read_options,
                    writes=_writes)
