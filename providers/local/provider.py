"""provider = "local": a calendar from .ics files, drafts into a Maildir.

The calendar is an .ics file or a folder of them (vdir style). Drafts go to
`<maildir>/.Drafts/cur/` flagged Draft+Seen, where mutt, neomutt and Dovecot show them
as drafts. A draft that moved to `.Sent` was sent; one gone from both was discarded.
"""

from __future__ import annotations

import os
from datetime import timedelta

from afterword.daemon.errors import InputError
from afterword.providers.base import (
    CalendarSource,
    DraftMailbox,
    Provider,
    Window,
)
from afterword.providers.local import LocalOptions
from afterword.providers.local.calendar import IcsCalendar
from afterword.providers.local.maildir import MaildirDrafts


class LocalProvider(Provider[LocalOptions]):
    """An .ics calendar and a Maildir, no account needed."""

    def calendar(self) -> CalendarSource:
        """The .ics file or folder."""
        assert self.options.calendar is not None
        return IcsCalendar(
            self.options.calendar,
            account=self.account.name,
            timezone=self.context.timezone,
            my_emails=self.context.my_emails,
        )

    def mailbox(self) -> DraftMailbox:
        """The Maildir's Drafts folder."""
        assert self.options.maildir is not None
        return MaildirDrafts(self.options.maildir)

    def check(self) -> list[str]:
        """What `run` needs: the calendar read and parsed as a cycle reads it, and the
        Maildir a folder Afterword can write (or create)."""
        problems = []
        if self.options.calendar is not None:
            now = self.context.clock()
            try:
                read = self.calendar().changes(Window(now - timedelta(days=8),
                                                      now + timedelta(days=15)), None)
                problems += list(read.warnings)
            except InputError as err:
                problems.append(str(err))
        maildir = self.options.maildir
        if maildir is not None:
            existing = next((p for p in (maildir, *maildir.parents) if p.exists()), None)
            if existing is not None and not existing.is_dir():
                problems.append(f"maildir: {existing} is a file, not a folder")
            elif existing is None or not os.access(existing, os.W_OK | os.X_OK):
                problems.append(f"maildir is not writable: {maildir}")
        return problems
