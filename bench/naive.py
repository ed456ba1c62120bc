"""The naive baseline: what a simple poller would do, with the same client libraries.

Every cycle it lists the whole window (no sync token, no delta) and asks for each open
draft by id. It wraps the real provider (same sign-in, same HTTP plumbing, same event
translation, same draft creation), so only the reading strategy differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from afterword.daemon.errors import InputError
from afterword.daemon.model import CalendarEvent
from afterword.providers.base import (
    CalendarSource,
    ChangeSet,
    DraftMailbox,
    DraftRef,
    DraftStatus,
    MailboxState,
    Provider,
    Window,
)


def _rfc3339(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


class NaiveGoogleCalendar(CalendarSource):
    """events.list over the window, every page, every cycle."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.real = provider.calendar()

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """The whole window, each time."""
        from afterword.providers.google.calendar import LIST_FIELDS
        from afterword.providers.google.events import event_from_google

        api = self.provider.api
        events: list[CalendarEvent] = []
        page_token = None
        while True:
            page = api.call(api.calendar.events().list(
                calendarId="primary", singleEvents=True, maxResults=2500, fields=LIST_FIELDS,
                timeMin=_rfc3339(window.start), timeMax=_rfc3339(window.end),
                pageToken=page_token), "events.list")
            for item in page.get("items", []):
                if item.get("status") == "cancelled":
                    continue
                try:
                    events.append(event_from_google(
                        item, account=self.provider.account.name, calendar="primary",
                        my_emails=self.provider.context.my_emails,
                        zone=self.provider.context.timezone))
                except InputError:
                    continue
            page_token = page.get("nextPageToken")
            if not page_token:
                return ChangeSet(tuple(events), None, full=True)

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """As the real calendar."""
        return self.real.get_event(event_id)


class NaiveGmail(DraftMailbox):
    """drafts.get for every open draft, every cycle."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.real = provider.mailbox()

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """As the real mailbox."""
        return self.real.create_draft(key, message, send_by=send_by)

    def find_draft(self, key: str) -> DraftRef | None:
        """As the real mailbox."""
        return self.real.find_draft(key)

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """One drafts.get per draft."""
        from afterword.providers.google.http import NotFound

        api = self.provider.api
        states = {}
        for key, ref in drafts.items():
            try:
                api.call(api.gmail.users().drafts().get(
                    userId="me", id=ref.provider_id, format="minimal",
                    fields="id,message(id,threadId)"), "drafts.get")
                states[key] = DraftStatus(MailboxState.OPEN)
            except NotFound:
                states[key] = DraftStatus(MailboxState.GONE)
        return states


class NaiveGraphCalendar(CalendarSource):
    """calendarView over the window, every page, every cycle."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.real = provider.calendar()

    def changes(self, window: Window, cursor: str | None) -> ChangeSet:
        """The whole window, each time."""
        from afterword.providers.microsoft.calendar import (
            EVENT_FIELDS,
            PAGE_SIZE,
            PREFER_EVENTS,
        )
        from afterword.providers.microsoft.events import event_from_graph

        params = {"startDateTime": _rfc3339(window.start), "endDateTime": _rfc3339(window.end),
                  "$select": EVENT_FIELDS, "$top": str(PAGE_SIZE)}
        events: list[CalendarEvent] = []
        for page in self.provider.client.pages("/me/calendarView", params, PREFER_EVENTS):
            for item in page.get("value", []):
                try:
                    events.append(event_from_graph(
                        item, account=self.provider.account.name, calendar="default",
                        my_emails=self.real.my_emails, zone=self.provider.context.timezone))
                except InputError:
                    continue
        return ChangeSet(tuple(events), None, full=True)

    def get_event(self, event_id: str) -> CalendarEvent | None:
        """As the real calendar."""
        return self.real.get_event(event_id)


class NaiveOutlook(DraftMailbox):
    """GET /me/messages/{id} for every open draft, every cycle."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.real = provider.mailbox()

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """As the real mailbox."""
        return self.real.create_draft(key, message, send_by=send_by)

    def find_draft(self, key: str) -> DraftRef | None:
        """As the real mailbox."""
        return self.real.find_draft(key)

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """One GET per draft."""
        from afterword.providers.microsoft.http import NotFound

        states = {}
        for key, ref in drafts.items():
            try:
                message = self.provider.client.get(f"/me/messages/{ref.provider_id}",
                                                   {"$select": "id,isDraft"})
                open_ = isinstance(message, dict) and message.get("isDraft", True)
                states[key] = DraftStatus(MailboxState.OPEN if open_ else MailboxState.GONE)
            except NotFound:
                states[key] = DraftStatus(MailboxState.GONE)
        return states


class NaiveProvider(Provider):
    """The real provider with the naive calendar and mailbox."""

    def __init__(self, real: Any, calendar: CalendarSource, mailbox: DraftMailbox) -> None:
        super().__init__(real.account, real.context)
        self.real, self._calendar, self._mailbox = real, calendar, mailbox

    def calendar(self) -> CalendarSource:
        """The naive calendar."""
        return self._calendar

    def mailbox(self) -> DraftMailbox:
        """The naive mailbox."""
        return self._mailbox

    def address(self) -> str | None:
        """As the real provider."""
        return str(self.real.address() or "") or None

    def authorize(self, options: Any) -> str:
        """As the real provider."""
        return str(self.real.authorize(options))

    def check(self) -> list[str]:
        """As the real provider."""
        return list(self.real.check())


def wrap(real: Any) -> NaiveProvider:
    """The naive twin of a real Google or Microsoft provider."""
    if real.account.provider == "google":
        return NaiveProvider(real, NaiveGoogleCalendar(real), NaiveGmail(real))
    return NaiveProvider(real, NaiveGraphCalendar(real), NaiveOutlook(real))
