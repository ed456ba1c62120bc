"""provider = "local": a calendar from .ics files, drafts into a Maildir.

The calendar is an .ics file or a folder of them (vdir style). Drafts go to
`<maildir>/.Drafts/cur/` flagged Draft+Seen, where mutt, neomutt and Dovecot show them
as drafts. A draft that moved to `.Sent` was sent; one gone from both was discarded.
"""

from __future__ import annotations

import os

from afterword.providers.base import (
    CalendarSource,
    DraftMailbox,
    Provider,
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
        """The calendar must exist and read without damage; the Maildir's parent must be
        writable."""
        problems = []
        cal = self.options.calendar
        if cal is not None and not cal.exists():
            problems.append(f"calendar not found: {cal}")
        elif cal is not None:
            # What a cycle would skip (a damaged event, a file that is not a calendar).
            problems += IcsCalendar(cal, account=self.account.name,
                                    timezone=self.context.timezone,
                                    my_emails=self.context.my_emails).problems()
        maildir = self.options.maildir
        if maildir is not None:
            existing = next((p for p in (maildir, *maildir.parents) if p.exists()), None)
            if existing is None or not os.access(existing, os.W_OK):
                problems.append(f"maildir is not writable: {maildir}")
        return problems
