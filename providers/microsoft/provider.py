"""provider = "microsoft": Microsoft 365 and Outlook.com through Microsoft Graph.

msal signs in (device code flow) and refreshes silently; plain requests talks to Graph
(no SDK). The calendar comes from calendarView delta rounds, drafts go into Outlook's
Drafts folder. Delegated permissions only: Calendars.Read, Mail.ReadWrite, User.Read —
never Mail.Send.

Test seams in `ProviderContext.extra`: "ca_bundle" (a CA file for the authority and
Graph), "sleep" (how retries wait), "timeout" ((connect, read) seconds for Graph).
Without "ca_bundle", requests honours REQUESTS_CA_BUNDLE as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.providers.base import (
    AuthOptions,
    CalendarSource,
    DraftMailbox,
    Provider,
    ProviderContext,
)
from afterword.providers.microsoft import MicrosoftOptions
from afterword.providers.microsoft.auth import GraphAuth
from afterword.providers.microsoft.calendar import GraphCalendar
from afterword.providers.microsoft.http import TIMEOUT, GraphClient
from afterword.providers.microsoft.mail import OutlookDrafts

if TYPE_CHECKING:
    from afterword.daemon.config import AccountConfig

log = logging.getLogger(__name__)


class MicrosoftProvider(Provider[MicrosoftOptions]):
    """A Microsoft 365 / Outlook.com account: Outlook calendar in, Outlook drafts out."""

    def __init__(self, account: AccountConfig, context: ProviderContext) -> None:
        super().__init__(account, context)
        extra = context.extra
        verify: str | bool = str(extra["ca_bundle"]) if extra.get("ca_bundle") else True
        self.auth = GraphAuth(account.name, account.options.client_id, account.options.authority,
                              context.secrets, verify=verify,
                              graph_endpoint=account.options.graph_endpoint)
        self.client = GraphClient(
            account.options.graph_endpoint, self.auth, account=account.name, verify=verify,
            sleep=cast(Callable[[float], None], extra.get("sleep", time.sleep)),
            timeout=cast(tuple[float, float], extra.get(
                "timeout", (TIMEOUT[0], account.options.timeout.total_seconds()))),
        )
        self._address: str | None = None
        self._calendar: GraphCalendar | None = None
        self._mailbox: OutlookDrafts | None = None

    def _my_emails(self) -> tuple[str, ...]:
        # The mailbox's own address and the sign-in name (they differ when the UPN is not
        # the primary address): both are the user, never an interviewer.
        mine = list(self.context.my_emails)
        for own in (self._address, self.auth.stored_address(), self.auth.username()):
            if own:
                mine.append(own.lower())
        return tuple(dict.fromkeys(mine))

    def calendar(self) -> CalendarSource:
        """The default calendar, or the configured calendar ids."""
        if self._calendar is None:
            self._calendar = GraphCalendar(
                self.client, self.account.name, self.options.calendars,
                self.context.timezone, self._my_emails(), self.context.clock)
        else:
            # A sign-in since the last cycle may have taught us the address.
            self._calendar.my_emails = set(self._my_emails())
        return self._calendar

    def mailbox(self) -> DraftMailbox:
        """The Outlook Drafts folder."""
        if self._mailbox is None:
            self._mailbox = OutlookDrafts(self.client, self.account.name,
                                          self.options.flag_drafts)
        return self._mailbox

    def address(self) -> str | None:
        """The mailbox's address from GET /me (mail, else userPrincipalName), cached."""
        if self.account.address:
            return self.account.address
        if self._address is None:
            self._address = self.auth.stored_address()
        if self._address is None:
            try:
                me: Any = self.client.get("/me", {"$select": "mail,userPrincipalName"})
            except TransientError as err:
                log.info("account %s: address not known yet: %s", self.account.name, err)
                return self.auth.username()
            value = (me or {}).get("mail") or (me or {}).get("userPrincipalName") or ""
            self._address = str(value).lower() or None
            if self._address:
                self.auth.remember_address(self._address)
        return self._address

    def authorize(self, options: AuthOptions) -> str:
        """Device code sign-in (or import an msal cache with --from-file)."""
        name = self.account.name
        if options.from_file:
            try:
                text = Path(options.from_file).expanduser().read_text()
            except OSError as err:
                raise ProviderError(f"{options.from_file}: cannot read: "
                                    f"{err.strerror or err}") from None
            user = self.auth.import_cache(text)
        else:
            user = self.auth.sign_in(options.say)
        self._address = None
        try:
            user = self.address() or user
        except AuthExpired as err:
            raise ProviderError(f"account '{name}': signed in, but Graph refused the "
                                f"token: {err.detail}") from err
        return f"account '{name}': signed in as {user or 'unknown user'}; credentials stored"

    def check(self) -> list[str]:
        """Offline checks: credentials present."""
        if self.context.secrets.get(self.account.name) is None:
            return [f"not signed in: run `afterword auth {self.account.name}`"]
        return []
