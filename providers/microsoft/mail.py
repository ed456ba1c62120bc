"""Outlook drafts through Graph: create tagged drafts, find them again, track what became of them.

Every draft carries our key twice: a single-value extended property (filterable, kept
when the draft is sent) and an `x-afterword-key` internet header. Ids are immutable
(`Prefer: IdType="ImmutableId"` on every request), so a draft keeps its id while the user
edits it.

Tracking follows the Drafts folder with a message delta query
(`mailFolders('drafts')/messages/delta?$select=id`): the first cycle of a process
enumerates the ids in Drafts, every later cycle asks the deltaLink for what changed — one
small request when nothing did, whatever the number of open drafts. The ids and the
deltaLink live in memory; an expired state (410, `syncStateNotFound`, `resyncRequired`)
starts the enumeration again. Only a tracked draft missing from Drafts costs more: a
`$batch` asking Drafts by key (a draft the delta has not reported yet), Sent Items (by
property, then by internetMessageId), Deleted Items and the Outbox where it went. An
endpoint without message delta (Graph in China has none) gets the plain listing of
Drafts' ids each cycle instead, and delta is tried again after a while.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote, urlencode

from afterword.daemon.errors import (
    AuthExpired,
    ProviderError,
    SyncTokenExpired,
    TransientError,
)
from afterword.providers.base import (
    DraftMailbox,
    DraftRef,
    DraftStatus,
    MailboxState,
    MaybeApplied,
    NotFound,
)
from afterword.providers.microsoft.http import BatchItem, GraphClient, GraphError, GraphFault

log = logging.getLogger(__name__)

# Our own property set: a GUID that is Afterword's, a named string property.
PROPERTY_SET = "{6f0c2d0e-5a3b-4f0e-9b7d-a7e2f1c3d9b4}"
PROPERTY_ID = f"String {PROPERTY_SET} Name AfterwordKey"
KEY_HEADER = "x-afterword-key"
IMMUTABLE = 'IdType="ImmutableId"'
FOLDERS = {"drafts": "/me/mailFolders('drafts')/messages",
           "sent": "/me/mailFolders('sentitems')/messages",
           "deleted": "/me/mailFolders('deleteditems')/messages",
           "outbox": "/me/mailFolders('outbox')/messages"}
DRAFTS_DELTA = "/me/mailFolders('drafts')/messages/delta"
DELTA_PAGE = 200  # ids per page of the first enumeration (Prefer: odata.maxpagesize)
PAGE = 100
MAX_PAGES = 50  # the listing without delta reads at most 5,000 drafts per cycle
DELTA_RETRY = 6 * 3600.0  # seconds before an endpoint that refused delta is asked again
# How Graph says a delta state is gone, besides 410 Gone (a "40X-series" error).
RESYNC_CODES = frozenset({"syncstatenotfound", "resyncrequired"})
# Statuses by which an endpoint says it has no message delta at all.
NO_DELTA = frozenset({400, 404, 405, 501})


def _literal(value: str) -> str:
    """An OData string literal."""
    return "'" + value.replace("'", "''") + "'"


def property_filter(property_id: str, value: str) -> str:
    """The documented $filter for messages whose string property `property_id` is `value`."""
    return (f"singleValueExtendedProperties/Any(ep: ep/id eq {_literal(property_id)} "
            f"and ep/value eq {_literal(value)})")


def key_filter(key: str) -> str:
    """$filter for the message stamped with `key`."""
    return property_filter(PROPERTY_ID, key)


def _query(params: Mapping[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe="$(),':=")


class OutlookDrafts(DraftMailbox):
    """The Drafts folder of one Outlook / Exchange Online mailbox."""

    def __init__(self, client: GraphClient, account: str, flag_drafts: bool = False) -> None:
        self.client = client
        self.account = account
        self.flag_drafts = flag_drafts
        # The Drafts folder as the delta rounds told it: ids, and where to ask next.
        self._delta_link: str | None = None
        self._in_drafts: frozenset[str] = frozenset()
        self._delta_refused_at: float | None = None  # when the endpoint last refused delta
        self._drafts_id: str | None = None  # the Drafts folder's id (asked once)

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """POST the draft in one call (Graph creates it whole or not at all)."""
        payload = draft_payload(key, message, send_by if self.flag_drafts else None)
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
        return _ref(data)

    def _lookup(self, folder: str, key: str) -> dict[str, Any] | None:
        params = {"$filter": key_filter(key), "$select": "id,internetMessageId,changeKey",
                  "$top": "5"}
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
                return _ref(hit) if folder == "drafts" else DraftRef(
                    str(hit["id"]), hit.get("internetMessageId"))
        return None

    def draft_version(self, ref: DraftRef) -> str | None:
        """The message's changeKey (Exchange changes it with every edit); None once the
        message has left Drafts (sent, deleted, moved) or is gone."""
        try:
            data = self.client.get(f"/me/messages/{quote(ref.provider_id, safe='')}",
                                   {"$select": "changeKey,isDraft,parentFolderId"},
                                   (IMMUTABLE,))
        except NotFound:
            return None
        if not isinstance(data, dict) or not data.get("isDraft") \
                or data.get("parentFolderId") != self._drafts_folder_id():
            return None
        change_key = data.get("changeKey")
        return change_key if isinstance(change_key, str) else None

    def _drafts_folder_id(self) -> str:
        if self._drafts_id is None:
            data = self.client.get("/me/mailFolders('drafts')", {"$select": "id"},
                                   (IMMUTABLE,))
            self._drafts_id = str(data.get("id", "")) if isinstance(data, dict) else ""
        return self._drafts_id

    def replace_draft(self, ref: DraftRef, key: str, message: EmailMessage,
                      send_by: datetime | None = None) -> DraftRef:
        """PATCH the draft's subject, body and recipients in one request (repeating it
        writes the same content again); the key properties set at creation stay."""
        payload = draft_payload(key, message, send_by if self.flag_drafts else None)
        for creation_only in ("singleValueExtendedProperties", "internetMessageHeaders"):
            payload.pop(creation_only)
        data = self.client.request(
            "PATCH", f"/me/messages/{quote(ref.provider_id, safe='')}", body=payload,
            prefer=(IMMUTABLE,), idempotent=True, what="update draft")
        if not isinstance(data, dict) or not data.get("id"):
            raise ProviderError(f"account '{self.account}': Graph updated a draft but did not "
                                "return it")
        return _ref(data)

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """What is in Drafts (one delta request when idle); a $batch only for drafts that left."""
        if not drafts:
            return {}
        in_drafts = self._drafts_ids()
        result: dict[str, DraftStatus] = {}
        departed: dict[str, DraftRef] = {}
        for key, ref in drafts.items():
            if ref.provider_id in in_drafts:
                # Immutable ids: the draft keeps its id however often the user edits it.
                result[key] = DraftStatus(MailboxState.OPEN)
            else:
                departed[key] = ref
        if departed:
            result.update(self._whereabouts(departed))
        return result

    def _drafts_ids(self) -> frozenset[str]:
        """The ids of every message in Drafts, from the delta rounds (else a listing)."""
        now = time.monotonic()
        if self._delta_refused_at is not None and now - self._delta_refused_at < DELTA_RETRY:
            return self._listed_ids()
        try:
            return self._delta_ids()
        except (GraphError, NotFound, GraphFault) as err:  # GraphFault: a 501 Not Implemented
            if err.status not in NO_DELTA or _resync(err):
                raise  # not permitted, busy, or a state to read again
            log.warning("account %s: Graph has no delta for Drafts (%s); listing the ids of "
                        "all drafts each cycle instead", self.account, err)
            self._delta_refused_at = now
            self._delta_link = None
            return self._listed_ids()

    def _delta_ids(self) -> frozenset[str]:
        """The next delta round on the link we hold; a fresh enumeration without one."""
        if self._delta_link is not None:
            try:
                return self._delta_round(self._delta_link, None, self._in_drafts)
            except (SyncTokenExpired, GraphError, NotFound) as err:
                if isinstance(err, GraphError) and err.status == 403:
                    raise  # not permitted: a fresh enumeration would fare no better
                # Expired (410, syncStateNotFound, resyncRequired) or refused as invalid:
                # either way the state is useless, and reading Drafts again is the cure.
                log.info("account %s: the Drafts delta state is gone (%s); reading the ids "
                         "in Drafts again", self.account, err)
                self._delta_link = None
        try:
            return self._delta_round(DRAFTS_DELTA, {"$select": "id"}, frozenset())
        except (SyncTokenExpired, GraphError, NotFound) as err:
            if not _resync(err):
                raise
            # Forgotten in the middle of a fresh enumeration: the next cycle starts over.
            raise TransientError(f"account '{self.account}': Drafts sync restarted: "
                                 f"{err}") from err

    def _delta_round(self, path: str, params: Mapping[str, str] | None,
                     known: frozenset[str]) -> frozenset[str]:
        """Follow nextLinks (as they are) to the deltaLink; the ids in Drafts after it.

        Nothing is kept unless the round completes: a failed round is asked again.
        """
        ids = set(known)
        prefer = (IMMUTABLE, f"odata.maxpagesize={DELTA_PAGE}")
        for page in self.client.pages(path, params, prefer):
            for entry in page.get("value", []) if isinstance(page, dict) else []:
                if not isinstance(entry, dict) or not entry.get("id"):
                    continue
                if "@removed" in entry:
                    # Deleted, or moved out: sent, discarded, or in the Outbox.
                    ids.discard(str(entry["id"]))
                else:
                    ids.add(str(entry["id"]))  # created or edited: in Drafts
            link = page.get("@odata.deltaLink") if isinstance(page, dict) else None
            if link:
                self._in_drafts = frozenset(ids)
                self._delta_link = str(link)
                return self._in_drafts
        raise ProviderError(f"account '{self.account}': Drafts delta ended without a "
                            "deltaLink")

    def _listed_ids(self) -> frozenset[str]:
        """Without delta: the ids of every draft, at most MAX_PAGES requests.

        A tracked draft beyond the last page is not lost: it is looked up by its key.
        """
        params = {"$select": "id", "$top": str(PAGE)}
        pages = self.client.pages(FOLDERS["drafts"], params, (IMMUTABLE,))
        return frozenset(_ids(itertools.islice(pages, MAX_PAGES)))

    def _whereabouts(self, departed: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """Where drafts that left Drafts went: sent, being sent, or discarded."""
        items: list[BatchItem] = []
        slots: list[tuple[str, str]] = []
        for key, ref in departed.items():
            # Drafts by key too: a draft the delta has not reported yet, or one past
            # the end of a cut-short listing, is still open.
            asks = [("drafts", "drafts", key_filter(key)), ("sent", "sent", key_filter(key)),
                    ("deleted", "deleted", key_filter(key)), ("outbox", "outbox", key_filter(key))]
            if ref.thread_id:
                # Some clients drop custom properties on sending; the Message-ID stays.
                asks.append(("sent", "sent-id",
                             f"internetMessageId eq {_literal(ref.thread_id)}"))
            for folder, label, flt in asks:
                query = _query({"$filter": flt, "$select": "id,sentDateTime,internetMessageId",
                                "$top": "1"})
                items.append(BatchItem(f"{FOLDERS[folder]}?{query}", (IMMUTABLE,)))
                slots.append((key, label))
        outcomes = self.client.batch(items, "track drafts")
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome.error, GraphError):
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
            elif "drafts" in where:
                hit = where["drafts"]
                result[key] = DraftStatus(MailboxState.OPEN, ref=DraftRef(
                    str(hit["id"]), hit.get("internetMessageId") or departed[key].thread_id))
            elif key in failed:
                continue  # unknown for now: asked again next cycle
            elif "outbox" in where:
                result[key] = DraftStatus(MailboxState.OPEN)  # on its way out
            else:
                # In Deleted Items, or deleted for good.
                result[key] = DraftStatus(MailboxState.DISCARDED)
        return result


def _resync(err: Exception) -> bool:
    """Graph forgot the delta state: 410 Gone, or a 4xx saying so by its code."""
    if isinstance(err, SyncTokenExpired):
        return True
    return isinstance(err, (GraphError, NotFound)) and 400 <= err.status < 500 and \
        err.code.lower() in RESYNC_CODES


def _ids(pages: Iterable[Any]) -> set[str]:
    return {str(item["id"]) for page in pages if isinstance(page, dict)
            for item in page.get("value", []) if isinstance(item, dict) and item.get("id")}


def _sent_at(item: Mapping[str, Any]) -> datetime | None:
    value = item.get("sentDateTime")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def draft_payload(key: str, message: EmailMessage,
                  flag_due: datetime | None = None) -> dict[str, Any]:
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
    due = flag_due.astimezone(UTC) if flag_due is not None else None
    if due is not None:
        # Graph refuses a due date without a start date (400).
        start = min(datetime.now(UTC), due - timedelta(minutes=1))
        payload["flag"] = {
            "flagStatus": "flagged",
            "startDateTime": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                              "timeZone": "UTC"},
            "dueDateTime": {"dateTime": due.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        }
    return payload


def _ref(item: Mapping[str, Any]) -> DraftRef:
    """A draft's ref from Graph's message JSON (id, internetMessageId, changeKey)."""
    change_key = item.get("changeKey")
    return DraftRef(str(item["id"]), item.get("internetMessageId"),
                    version=change_key if isinstance(change_key, str) else None)
