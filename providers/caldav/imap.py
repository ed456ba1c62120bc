"""Drafts over IMAP (IMAPClient): APPEND with \\Draft, find by key, tell sent from discarded.

Every draft carries `X-Afterword-Key`. A draft is found again with `UID SEARCH HEADER
X-Afterword-Key <key>`, so a lost answer to an APPEND never yields a second draft: the
session is opened again and the key searched before anything is retried.

Tracking costs one connection of three commands when nothing changed (LOGIN, STATUS,
LOGOUT): `STATUS Drafts (UIDVALIDITY UIDNEXT MESSAGES [HIGHESTMODSEQ])` says whether the
Drafts folder changed since the last look (HIGHESTMODSEQ, with CONDSTORE, also moves when
a draft is only flagged \\Deleted). Only then are the keys searched in Drafts, and the
missing ones in Sent (by key, else by the draft's Message-ID): found there is sent,
found nowhere is discarded. Afterword never deletes, moves or flags the user's mail.

A connection per call, not an IDLE-kept one: a cycle runs every few minutes, and a
long-lived connection would need keep-alives, reconnects and a thread, to save two
commands per cycle.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError, one_line
from afterword.daemon.model import KEY_HEADER
from afterword.providers.base import (
    DraftMailbox,
    DraftRef,
    DraftStatus,
    MaybeApplied,
)
from afterword.providers.caldav.imap_folder import appenduid, search_key, select, states

log = logging.getLogger(__name__)

SECURITY = ("tls", "starttls", "none")
# Where mail clients keep drafts and sent mail when the server marks no special use.
DRAFTS_NAMES = ("Drafts", "INBOX.Drafts", "INBOX/Drafts", "Draft", "[Gmail]/Drafts")
SENT_NAMES = ("Sent", "INBOX.Sent", "INBOX/Sent", "Sent Items", "Sent Messages",
              "Sent Mail", "[Gmail]/Sent Mail")
# RFC 5530 response codes of a refusal that may clear by itself.
_TRANSIENT = ("[UNAVAILABLE]", "[SERVERBUG]", "[INUSE]", "[LIMIT]", "[OVERQUOTA]")


@dataclass(frozen=True)
class ImapSettings:
    """Where and how to reach the mailbox."""

    host: str
    port: int
    security: str  # tls | starttls | none (none only for loopback hosts)
    username: str
    drafts_folder: str = ""  # "" = the folder with the \\Drafts attribute
    sent_folder: str = ""  # "" = the folder with the \\Sent attribute
    ca_file: str | None = None  # a CA (or the server's own certificate) to trust
    timeout: float = 60.0

    @property
    def server(self) -> str:
        """host:port, as error lines name the server."""
        return f"{self.host}:{self.port}"


class ImapDrafts(DraftMailbox):
    """The Drafts folder of one IMAP mailbox."""

    def __init__(self, settings: ImapSettings, password: Callable[[], str],
                 account: str) -> None:
        self.settings = settings
        self.password = password
        self.account = account
        self._folders: tuple[str, str | None] | None = None  # (drafts, sent), learnt once
        self._condstore: bool | None = None
        self._last: tuple[tuple[int, ...], dict[str, tuple[DraftRef, DraftStatus]]] | None = None
        self._keys: dict[str, str] = {}  # provider id → key, of the drafts this process made

    # -- connection --------------------------------------------------------------------

    def _where(self) -> str:
        return f"account '{self.account}': IMAP {self.settings.server}"

    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        """A logged-in IMAPClient; every fault leaves as one of our errors, in one line."""
        from imapclient import IMAPClient
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

        s = self.settings
        client: Any = None
        try:
            context = ssl.create_default_context(cafile=s.ca_file) if s.security != "none" \
                else None
            client = IMAPClient(s.host, s.port, ssl=s.security == "tls", ssl_context=context,
                                timeout=s.timeout)
            client.normalise_times = False  # aware INTERNALDATEs, not local naive ones
            if s.security == "starttls":
                client.starttls(context)
            self._login(client, LoginError)
            if self._condstore is None:
                # Dovecot announces CONDSTORE only once logged in: ask after LOGIN, once.
                self._condstore = b"CONDSTORE" in client.capabilities()
            yield client
        except (AuthExpired, TransientError, ProviderError):
            raise
        except ssl.SSLCertVerificationError as err:
            raise ProviderError(f"{self._where()}: TLS certificate not trusted "
                                f"({err.verify_message or 'verify failed'}); set ca_file "
                                "to the server's certificate if it is your own") from None
        except ssl.SSLError as err:
            raise TransientError(f"{self._where()}: TLS failed: {_one_line(err)}") from None
        except TimeoutError:
            raise TransientError(f"{self._where()}: timed out") from None
        except IMAPClientAbortError as err:
            raise TransientError(f"{self._where()}: connection lost: {_one_line(err)}") \
                from None
        except OSError as err:
            raise TransientError(f"{self._where()}: {err.strerror or _one_line(err)}") \
                from None
        except IMAPClientError as err:
            text = _one_line(err)
            if any(code in text.upper() for code in _TRANSIENT):
                raise TransientError(f"{self._where()}: {text}") from None
            raise ProviderError(f"{self._where()}: {text}") from None
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.logout()

    def _login(self, client: Any, login_error: type[Exception]) -> None:
        """LOGIN; a refusal is AuthExpired. A temporary one ([UNAVAILABLE]: the server's
        password backend is busy, seen with Dovecot under load) is asked once more."""
        for attempt in (1, 2):
            try:
                client.login(self.settings.username, self.password())
                return
            except login_error as err:
                text = _one_line(err)
                if "UNAVAILABLE" not in text.upper() and "SERVERBUG" not in text.upper():
                    raise AuthExpired(self.account, f"{self.settings.server} refused the "
                                      "password") from None
                if attempt == 2:
                    raise TransientError(f"{self._where()}: sign-in unavailable: {text}") \
                        from None
                time.sleep(1.0)

    def _discover(self, client: Any) -> tuple[str, str | None]:
        """The Drafts and Sent folders: configured, else by RFC 6154 attribute, else name."""
        if self._folders is not None:
            return self._folders
        s = self.settings
        drafts, sent = s.drafts_folder or None, s.sent_folder or None
        if drafts is None or sent is None:
            listed = client.list_folders()
            names = [str(name) for _flags, _sep, name in listed]
            for flags, _sep, name in listed:
                if drafts is None and b"\\Drafts" in flags:
                    drafts = str(name)
                if sent is None and b"\\Sent" in flags:
                    sent = str(name)
            drafts = drafts or next((n for n in DRAFTS_NAMES if n in names), None)
            sent = sent or next((n for n in SENT_NAMES if n in names), None)
        if drafts is None:
            raise ProviderError(f"{self._where()}: no folder is marked \\Drafts; set "
                                "drafts_folder for this account")
        self._folders = (drafts, sent)
        return self._folders

    def probe(self) -> None:
        """Sign in and find the Drafts folder (for `afterword auth`)."""
        with self._session() as client:
            self._discover(client)

    # -- drafts ------------------------------------------------------------------------

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """APPEND the whole message with \\Draft; after a lost answer, look before failing."""
        if (message.get(KEY_HEADER) or "").strip() != key:
            raise ProviderError(f"{self._where()}: draft {key} lacks its {KEY_HEADER} header")
        raw = message.as_bytes(policy=SMTP)
        message_id = str(message.get("Message-ID") or "") or None
        appending = False
        try:
            with self._session() as client:
                drafts, _sent = self._discover(client)
                appending = True
                answer = client.append(drafts, raw, flags=[b"\\Draft", b"\\Seen"])
                uid = appenduid(answer)
                if uid is None:  # no UIDPLUS: the key tells which message it is
                    uid = search_key(client, key, select(client, drafts)) or (0, 0)
                self._last = None
                made = _ref(uid, message_id)
                self._keys[made.provider_id] = key
                return made
        except TransientError as err:
            if not appending:
                raise  # nothing was sent: nothing can have landed
            # The APPEND may have landed even though its answer was lost: look.
            try:
                found = self._find_in_drafts(key)
            except TransientError:
                raise MaybeApplied(f"{err}; the draft may have been stored: it is looked "
                                   "for before any retry") from None
            if found is not None:
                log.info("account %s: draft %s was stored despite: %s", self.account, key, err)
                return DraftRef(found.provider_id, message_id, found.version)
            raise MaybeApplied(f"{err}; not in Drafts, will look again before retrying") \
                from None

    def _find_in_drafts(self, key: str) -> DraftRef | None:
        with self._session() as client:
            drafts, _sent = self._discover(client)
            found = search_key(client, key, select(client, drafts))
        return _ref(found) if found else None

    def find_draft(self, key: str) -> DraftRef | None:
        """The message stamped with `key` in Drafts, else in Sent."""
        with self._session() as client:
            drafts, sent = self._discover(client)
            for folder in (drafts, sent):
                if folder is None:
                    continue
                found = search_key(client, key, select(client, folder))
                if found:
                    return _ref(found)
        return None

    def draft_version(self, ref: DraftRef) -> str | None:
        """The draft's "UIDVALIDITY:UID" now: any edit in an IMAP client stores a new
        message (a new UID); None once no message in Drafts has its UID, key or Message-ID."""
        validity_uid = ref.provider_id.split(":")
        with self._session() as client:
            drafts, _sent = self._discover(client)
            validity = select(client, drafts)
            if len(validity_uid) == 2 and validity_uid[0] == str(validity) and \
                    client.search(["UID", validity_uid[1], "NOT", "DELETED"]):
                return ref.provider_id
            key = self._keys.get(ref.provider_id)  # drafts this process made or replaced
            found = search_key(client, key, validity) if key else None
            if found is None and ref.thread_id:
                uids = client.search(["NOT", "DELETED", "HEADER", "Message-ID", ref.thread_id])
                found = (validity, max(uids)) if uids else None
        return f"{found[0]}:{found[1]}" if found else None

    def replace_draft(self, ref: DraftRef, key: str, message: EmailMessage,
                      send_by: datetime | None = None) -> DraftRef:
        """APPEND the new text, then remove the old message(s) with this key (IMAP has no
        in-place edit): never two drafts for the key once this returns."""
        if (message.get(KEY_HEADER) or "").strip() != key:
            raise ProviderError(f"{self._where()}: draft {key} lacks its {KEY_HEADER} header")
        raw = message.as_bytes(policy=SMTP)
        message_id = str(message.get("Message-ID") or "") or ref.thread_id
        try:
            with self._session() as client:
                drafts, _sent = self._discover(client)
                new = appenduid(client.append(drafts, raw, flags=[b"\\Draft", b"\\Seen"]))
                return self._keep_newest(client, drafts, key, new[1] if new else None,
                                         message_id)
        except TransientError as err:
            # The APPEND may have landed: a copy newer than ours means it did.
            try:
                with self._session() as client:
                    drafts, _sent = self._discover(client)
                    return self._keep_newest(client, drafts, key, None, message_id,
                                             older_than=_uid_of(ref))
            except TransientError:
                pass
            except LookupError:
                raise TransientError(f"{err}; the draft was not replaced") from None
            raise MaybeApplied(f"{err}; the draft may have been replaced: it is looked for "
                               "before any retry") from None

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """Open, sent or discarded for each key; one STATUS when Drafts did not change."""
        if not drafts:
            return {}
        with self._session() as client:
            folder, sent = self._discover(client)
            items = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
            if self._condstore:
                items.append(b"HIGHESTMODSEQ")
            status = client.folder_status(folder, items)
            signature = tuple(int(status.get(i, 0)) for i in items)
            last = self._last
            if last is not None and last[0] == signature and all(
                    k in last[1] and last[1][k][0] == ref for k, ref in drafts.items()):
                return {k: last[1][k][1] for k in drafts}
            result = states(client, folder, sent, drafts, int(status[b"UIDVALIDITY"]))
        self._last = (signature, {k: (drafts[k], result[k]) for k in drafts})
        return result

    def _keep_newest(self, client: Any, drafts: str, key: str, newest: int | None,
                     message_id: str | None, older_than: int | None = None) -> DraftRef:
        """Remove, by UID, every copy of this note but the newest; LookupError when no
        copy newer than `older_than` exists."""
        validity = int(client.select_folder(drafts)[b"UIDVALIDITY"])
        uids = client.search(["NOT", "DELETED", "HEADER", KEY_HEADER, key])
        if newest is None:
            newer = [u for u in uids if older_than is None or u > older_than]
            if not newer:
                raise LookupError(key)
            newest = max(newer)
        old = [u for u in uids if u != newest]
        if old:
            # Only our own earlier text of this note goes: by UID, never EXPUNGE all.
            client.delete_messages(old, silent=True)
            if b"UIDPLUS" in client.capabilities():
                client.uid_expunge(old)
        self._last = None
        done = _ref((validity, newest), message_id)
        self._keys[done.provider_id] = key
        return done


def _uid_of(ref: DraftRef) -> int | None:
    tail = ref.provider_id.rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def _ref(found: tuple[int, int], message_id: str | None = None) -> DraftRef:
    """A draft's ref: "UIDVALIDITY:UID" is its id and its version (an edit is a new UID)."""
    pid = f"{found[0]}:{found[1]}"
    return DraftRef(pid, message_id, version=pid)


def _one_line(err: BaseException) -> str:
    """The server's words in one printable line (imaplib shows them as b'...')."""
    text = str(err).strip() or type(err).__name__
    if text[:2] in ("b'", 'b"'):
        text = text[2:-1]
    return one_line(text)
