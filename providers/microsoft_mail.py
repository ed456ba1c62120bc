"""Outlook drafts through Graph: create tagged drafts, find them again, track what became of them.

Every draft carries our key twice: a single-value extended property (filterable, kept
when the draft is sent) and an `x-afterword-key` internet header. Ids are immutable
(`Prefer: IdType="ImmutableId"`), so a draft keeps its id while the user edits it.
Tracking costs one request per cycle (Drafts filtered by the property, `$select=id`); only a draft
that left Drafts costs more: a `$batch` asking Sent Items (by property, then by
internetMessageId), Deleted Items and the Outbox where it went.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.providers.base import DraftMailbox, DraftRef, DraftStatus, MailboxState
from afterword.providers.graph_http import (
    BatchItem,
    GraphClient,
    GraphError,
    MaybeApplied,
    NotFound,
)

log = logging.getLogger(__name__)

# Our own property set: a GUID that is Afterword's, a named string property.
PROPERTY_SET = "{6f0c2d0e-5a3b-4f0e-9b7d-a7e2f1c3d9b4}"
PROPERTY_ID = f"String {PROPERTY_SET} Name AfterwordKey"
KEY_HEADER = "x-afterword-key"
DUE_HEADER = "X-Afterword-Send-By"  # set by the cycle: the send-by deadline of the note
IMMUTABLE = 'IdType="ImmutableId"'
FOLDERS = {"drafts": "/me/mailFolders('drafts')/messages",
           "sent": "/me/mailFolders('sentitems')/messages",
           "deleted": "/me/mailFolders('deleteditems')/messages",
           "outbox": "/me/mailFolders('outbox')/messages"}


def _literal(value: str) -> str:
    """An OData string literal."""
    return "'" + value.replace("'", "''") + "'"


def key_filter(key: str | None) -> str:
    """$filter for messages stamped with `key` (any of ours when None)."""
    value = "ep/value ne null" if key is None else f"ep/value eq {_literal(key)}"
    return f"singleValueExtendedProperties/Any(ep: ep/id eq {_literal(PROPERTY_ID)} and {value})"


def _query(params: Mapping[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe="$(),':=")


class OutlookDrafts(DraftMailbox):
    """The Drafts folder of one Outlook / Exchange Online mailbox."""

    def __init__(self, client: GraphClient, account: str, flag_drafts: bool = False) -> None:
        self.client = client
        self.account = account
        self.flag_drafts = flag_drafts

    def create_draft(self, key: str, message: EmailMessage) -> DraftRef:
        """POST the draft in one call (Graph creates it whole or not at all)."""
        payload = draft_payload(key, message, self.flag_drafts)
        try:
            data = self.client.request("POST", "/me/messages", body=payload, prefer=(IMMUTABLE,),
                                       idempotent=False, what="create draft")
        except MaybeApplied as err:
            # The draft may exist even though we got no answer: look before anyone retries.
            found = self.find_draft(key)
            if found is not None:
                log.info("account %s: draft %s was created despite: %s", self.account, key, err)
                return found
            raise TransientError(f"{err}; not found in Drafts, will look again and retry",
                                 retry_after=err.retry_after) from err
        if not isinstance(data, dict) or not data.get("id"):
            raise ProviderError(f"account '{self.account}': Graph created a draft but did not "
                                "say its id")
        return DraftRef(str(data["id"]), data.get("internetMessageId"))

    def _lookup(self, folder: str, key: str) -> dict[str, Any] | None:
        params = {"$filter": key_filter(key), "$select": "id,internetMessageId", "$top": "5"}
        page = self.client.get(FOLDERS[folder], params, (IMMUTABLE,))
        hits = page.get("value", []) if isinstance(page, dict) else []
        return hits[0] if hits else None

    def find_draft(self, key: str) -> DraftRef | None:
        """The message stamped with `key` in Drafts, else in Sent Items (already sent), else
        in Deleted Items (created, then discarded before we could record it: tracking then
        marks it discarded instead of the note being written a second time)."""
        for folder in ("drafts", "sent", "deleted"):
            hit = self._lookup(folder, key)
            if hit:
                return DraftRef(str(hit["id"]), hit.get("internetMessageId"))
        return None

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """One listing of our drafts; a $batch only for those that left Drafts."""
        if not drafts:
            return {}
        open_ids = self._open_ids()
        result: dict[str, DraftStatus] = {}
        departed: dict[str, DraftRef] = {}
        for key, ref in drafts.items():
            if ref.provider_id in open_ids:
                # Immutable ids: the draft keeps its id however often the user edits it.
                result[key] = DraftStatus(MailboxState.OPEN)
            else:
                departed[key] = ref
        if departed:
            result.update(self._whereabouts(departed))
        return result

    def _open_ids(self) -> set[str]:
        """Ids of our drafts still in Drafts: one request (more only past 100 drafts)."""
        params = {"$filter": key_filter(None), "$select": "id", "$top": "100"}
        try:
            pages = list(self.client.pages(FOLDERS["drafts"], params, (IMMUTABLE,)))
        except GraphError as err:
            if err.status != 400:
                raise
            # A server that cannot filter on property presence: list every draft's id.
            log.info("account %s: listing all drafts (%s)", self.account, err)
            pages = list(self.client.pages(FOLDERS["drafts"], {"$select": "id", "$top": "100"},
                                           (IMMUTABLE,)))
        return {str(item["id"]) for page in pages for item in page.get("value", [])
                if isinstance(item, dict) and item.get("id")}

    def _whereabouts(self, departed: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """Where drafts that left Drafts went: sent, being sent, or discarded."""
        items: list[BatchItem] = []
        slots: list[tuple[str, str]] = []
        for key, ref in departed.items():
            asks = [("sent", "sent", key_filter(key)), ("deleted", "deleted", key_filter(key)),
                    ("outbox", "outbox", key_filter(key))]
            if ref.thread_id:
                # Some clients drop custom properties on sending; the Message-ID stays.
                asks.append(("sent", "sent-id",
                             f"internetMessageId eq {_literal(ref.thread_id)}"))
            for folder, label, flt in asks:
                query = _query({"$filter": flt, "$select": "id,sentDateTime", "$top": "1"})
                items.append(BatchItem(f"{FOLDERS[folder]}?{query}", (IMMUTABLE,)))
                slots.append((key, label))
        outcomes = self.client.batch(items, "track drafts")
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome.error, GraphError) and not isinstance(outcome.error, NotFound):
                # A query the batch could not run: ask it directly before giving up on it.
                outcomes[index] = self.client.single(items[index], "track drafts")
        found: dict[str, dict[str, Any]] = {}
        failed: set[str] = set()
        for (key, label), outcome in zip(slots, outcomes, strict=True):
            if outcome.error is not None:
                if isinstance(outcome.error, AuthExpired):
                    raise outcome.error
                # Only a passing fault keeps the answer open; a query the server cannot
                # run (4xx) must not keep a draft "unknown" forever.
                if label in ("sent", "sent-id") and isinstance(outcome.error, TransientError):
                    failed.add(key)
                    log.info("account %s: cannot tell yet what became of draft %s: %s",
                             self.account, key, outcome.error)
                continue
            hits = outcome.body.get("value", []) if isinstance(outcome.body, dict) else []
            folder = label.removesuffix("-id")
            if hits and folder not in found.get(key, {}):
                found.setdefault(key, {})[folder] = hits[0]
        result: dict[str, DraftStatus] = {}
        for key in departed:
            where = found.get(key, {})
            if "sent" in where:
                result[key] = DraftStatus(MailboxState.SENT, _sent_at(where["sent"]),
                                          ref=DraftRef(str(where["sent"]["id"])))
            elif key in failed:
                continue  # unknown for now: asked again next cycle
            elif "outbox" in where:
                result[key] = DraftStatus(MailboxState.OPEN)  # on its way out
            else:
                # In Deleted Items, or deleted for good.
                result[key] = DraftStatus(MailboxState.DISCARDED)
        return result


def _sent_at(item: Mapping[str, Any]) -> datetime | None:
    value = item.get("sentDateTime")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def draft_payload(key: str, message: EmailMessage, flag: bool) -> dict[str, Any]:
    """The Graph message JSON for an EmailMessage built by the cycle."""
    recipients = []
    for name, address in getaddresses([str(v) for v in message.get_all("To", [])]):
        if address:
            entry: dict[str, Any] = {"address": address}
            if name:
                entry["name"] = name
            recipients.append({"emailAddress": entry})
    if not recipients:
        raise ProviderError("the note has no recipient")
    html = message.get_body(("html",))
    plain = message.get_body(("plain",))
    if html is not None:
        # A Graph message has one body: the HTML alternative when the template made one.
        body = {"contentType": "HTML", "content": html.get_content()}
    elif plain is not None:
        body = {"contentType": "Text", "content": plain.get_content()}
    else:
        raise ProviderError("the note has no text")
    payload: dict[str, Any] = {
        "subject": str(message.get("Subject", "")),
        "body": body,
        "toRecipients": recipients,
        "singleValueExtendedProperties": [{"id": PROPERTY_ID, "value": key}],
        "internetMessageHeaders": [{"name": KEY_HEADER, "value": key}],
    }
    due = _due(message)
    if flag and due is not None:
        # Graph refuses a due date without a start date (400).
        start = min(datetime.now(UTC), due - timedelta(minutes=1))
        payload["flag"] = {
            "flagStatus": "flagged",
            "startDateTime": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                              "timeZone": "UTC"},
            "dueDateTime": {"dateTime": due.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        }
    return payload


def _due(message: EmailMessage) -> datetime | None:
    value = message.get(DUE_HEADER)
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
