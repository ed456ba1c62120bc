"""provider = "google": Google Calendar in, Gmail drafts out.

Least privilege: calendar.events.readonly + gmail.compose (+ gmail.metadata only with
`track_sent`). The client libraries are imported on first use, from this package only;
`endpoint` is the root under which calendar/v3/ and gmail/v1/ are served.

Test seams (ProviderContext.extra): "google_timeout" (seconds, overrides `timeout`),
"google_page_size" (events per page), "google_sleep" (the backoff sleeper),
"google_monotonic" (the clock behind Gmail's hourly relisting).
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from afterword.daemon.errors import AuthExpired, ProviderError, SecretsUnavailable
from afterword.providers.base import AuthOptions, CalendarSource, DraftMailbox, Provider
from afterword.providers.google import GoogleOptions
from afterword.providers.google.auth import (
    StoredCredentials,
    authorize,
    missing_scopes,
    scopes_for,
)
from afterword.providers.google.calendar import GoogleCalendar
from afterword.providers.google.http import GoogleApi
from afterword.providers.google.mail import GmailDrafts

log = logging.getLogger(__name__)


class GoogleProvider(Provider[GoogleOptions]):
    """One Google account: its calendars and its Gmail drafts."""

    _api: GoogleApi | None = None
    _calendar: GoogleCalendar | None = None
    _mailbox: GmailDrafts | None = None
    _address: str | None = None

    @property
    def api(self) -> GoogleApi:
        """The account's API access (credentials are read on first request)."""
        if self._api is None:
            extra = self.context.extra
            sleep: Any = extra.get("google_sleep", time.sleep)
            self._api = GoogleApi(
                self.account.name, self.options.endpoint,
                StoredCredentials(self.account.name, self.context.secrets),
                timeout=float(cast(float, extra.get(
                    "google_timeout", self.options.timeout.total_seconds()))),
                sleep=sleep)
        return self._api

    def calendar(self) -> CalendarSource:
        """Every calendar id in the account's `calendars`."""
        if self._calendar is None:
            self._calendar = GoogleCalendar(
                self.api, account=self.account.name, calendars=self.options.calendars,
                timezone=self.context.timezone, clock=self.context.clock,
                page_size=int(cast(int, self.context.extra.get("google_page_size", 2500))),
                my_emails=self.context.my_emails)
        return self._calendar

    def mailbox(self) -> DraftMailbox:
        """The account's Gmail drafts."""
        if self._mailbox is None:
            monotonic: Any = self.context.extra.get("google_monotonic", time.monotonic)
            self._mailbox = GmailDrafts(self.api, account=self.account.name,
                                        track_sent=self.options.track_sent,
                                        monotonic=monotonic)
        return self._mailbox

    def address(self) -> str | None:
        """The configured address, else Gmail's (users.getProfile, asked once)."""
        if self.account.address:
            return self.account.address
        if self._address is None:
            try:
                profile = self.api.call(self.api.gmail.users().getProfile(
                    userId="me", fields="emailAddress"), "users.getProfile")
            except AuthExpired:
                raise
            except ProviderError as err:
                # Cosmetic: Gmail puts the account's address in From when it is missing.
                log.info("account %s: no address from Gmail (%s)", self.account.name, err)
                return None
            self._address = str(profile.get("emailAddress") or "")
        return self._address or None

    def authorize(self, options: AuthOptions) -> str:
        """`afterword auth`: loopback or pasted redirect, or --from-file."""
        return authorize(self.account, self.context.secrets, options)

    def check(self) -> list[str]:
        """Client file present, credentials stored and carrying the scopes needed."""
        problems = []
        secrets_file = self.options.client_secrets
        if secrets_file is not None and not secrets_file.is_file():
            problems.append(f"client_secrets not found: {secrets_file}")
        creds = StoredCredentials(self.account.name, self.context.secrets)
        try:
            if self.context.secrets.get(self.account.name) is None:
                return [*problems, f"not signed in: run `afterword auth {self.account.name}`"]
            granted = creds.granted_scopes()
        except SecretsUnavailable:
            return problems  # `check` reports the credential store once, for all accounts
        except Exception as err:
            return [*problems, str(err)]
        missing = missing_scopes(granted, scopes_for(self.account))
        if missing:
            problems.append(f"credentials lack {', '.join(missing)}: run "
                            f"`afterword auth {self.account.name}`")
        return problems
