"""The CalDAV + IMAP account: one (app) password for both, kept in the credential store.

`afterword auth NAME` asks for the password (getpass, or the first line of --from-file),
tries it on the IMAP server and the CalDAV server, and stores it only if neither refused
it. A password refused later makes the account *needs sign-in* (AuthExpired) while the
other accounts carry on.
"""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.providers.base import (
    AuthOptions,
    CalendarSource,
    DraftMailbox,
    Provider,
    ProviderContext,
)
from afterword.providers.caldav import PRESETS, CalDavOptions
from afterword.providers.caldav.calendar import CalDavCalendar
from afterword.providers.caldav.http import CalDavFaults, make_client
from afterword.providers.caldav.imap import ImapDrafts, ImapSettings
from afterword.providers.local.calendar import IcsCalendar

if TYPE_CHECKING:
    from afterword.daemon.config import AccountConfig

log = logging.getLogger(__name__)


class CalDavProvider(Provider[CalDavOptions]):
    """A standard account: CalDAV (or a local .ics export) in, IMAP Drafts out."""

    def __init__(self, account: AccountConfig, context: ProviderContext) -> None:
        super().__init__(account, context)
        self._calendar: CalendarSource | None = None
        self._mailbox: ImapDrafts | None = None

    def password(self) -> str:
        """The stored password; AuthExpired when there is none."""
        secret = self.context.secrets.get(self.account.name)
        if not secret:
            raise AuthExpired(self.account.name, "no password stored")
        return secret

    def _my_emails(self) -> tuple[str, ...]:
        mine = list(self.context.my_emails)
        if "@" in self.options.username:
            mine.append(self.options.username.lower())
        return tuple(dict.fromkeys(mine))

    def calendar(self) -> CalendarSource:
        """The CalDAV calendars, or the local .ics export paired with Proton Bridge."""
        if self._calendar is not None:
            return self._calendar
        o = self.options
        if not o.caldav_url:
            assert o.calendar is not None
            self._calendar = IcsCalendar(o.calendar, account=self.account.name,
                                         timezone=self.context.timezone,
                                         my_emails=self._my_emails())
            return self._calendar
        faults = CalDavFaults.for_url(self.account.name, o.caldav_url)

        def client() -> object:
            return make_client(o.caldav_url, o.username, self.password(),
                               ca_file=str(o.ca_file) if o.ca_file else None,
                               timeout=o.timeout.total_seconds())

        self._calendar = CalDavCalendar(
            client, faults, account=self.account.name, selection=o.calendars,
            timezone=self.context.timezone, my_emails=self._my_emails(),
            clock=self.context.clock,
            sleep=cast(Callable[[float], None], self.context.extra.get("sleep", time.sleep)))
        return self._calendar

    def imap_settings(self) -> ImapSettings:
        """Where the mailbox is."""
        o = self.options
        return ImapSettings(host=o.imap_host, port=o.imap_port, security=o.imap_security,
                            username=o.username, drafts_folder=o.drafts_folder,
                            sent_folder=o.sent_folder,
                            ca_file=str(o.ca_file) if o.ca_file else None,
                            timeout=o.timeout.total_seconds())

    def mailbox(self) -> DraftMailbox:
        """The IMAP Drafts folder."""
        if self._mailbox is None:
            self._mailbox = ImapDrafts(self.imap_settings(), self.password, self.account.name)
        return self._mailbox

    def address(self) -> str | None:
        """The configured address, else the username when it is an address."""
        if self.account.address:
            return self.account.address
        return self.options.username.lower() if "@" in self.options.username else None

    def authorize(self, options: AuthOptions) -> str:
        """Ask for the (app) password, try it on both servers, then store it."""
        name = self.account.name
        if options.from_file:
            try:
                lines = Path(options.from_file).expanduser().read_text().splitlines()
            except OSError as err:
                raise ProviderError(f"{options.from_file}: cannot read: "
                                    f"{err.strerror or err}") from None
            secret = lines[0].strip("\r\n") if lines else ""
        else:
            hint = PRESETS[self.options.server].hint
            if hint:
                options.say(f"{self.options.server}: use {hint}")
            secret = getpass.getpass(f"Password for {self.options.username} ({name}): ")
        if not secret:
            raise ProviderError(f"account '{name}': no password given; nothing stored")
        unverified = self._try(secret)
        self.context.secrets.set(name, secret)
        self._calendar = None
        self._mailbox = None
        if unverified:
            return (f"account '{name}': password stored, but not verified now: "
                    f"{'; '.join(unverified)}")
        return f"account '{name}': password accepted by the servers and stored"

    def _try(self, secret: str) -> list[str]:
        """Sign in to IMAP and CalDAV with `secret`; a refusal raises, an outage is listed."""
        name = self.account.name
        probes = [ImapDrafts(self.imap_settings(), lambda: secret, name).probe]
        o = self.options
        if o.caldav_url:
            faults = CalDavFaults.for_url(name, o.caldav_url)

            def caldav() -> None:
                with faults.mapped():
                    make_client(o.caldav_url, o.username, secret,
                                ca_file=str(o.ca_file) if o.ca_file else None,
                                timeout=o.timeout.total_seconds()).principal()

            probes.append(caldav)
        unverified = []
        for probe in probes:
            try:
                probe()
            except AuthExpired as err:
                raise ProviderError(f"account '{name}': {err.detail}; nothing stored") \
                    from None
            except TransientError as err:
                unverified.append(str(err))
        return unverified

    def check(self) -> list[str]:
        """Offline checks: a stored password, the files the account names."""
        problems = []
        o = self.options
        if self.context.secrets.get(self.account.name) is None:
            problems.append(f"no password stored: run `afterword auth {self.account.name}`")
        if o.ca_file is not None and not o.ca_file.is_file():
            problems.append(f"ca_file not found: {o.ca_file}")
        if o.calendar is not None and not o.calendar.exists():
            problems.append(f"calendar not found: {o.calendar}")
        return problems
