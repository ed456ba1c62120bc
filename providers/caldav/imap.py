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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError, one_line
from afterword.daemon.model import KEY_HEADER
from afterword.providers.base import (
    DraftMailbox,
    DraftRef,
    DraftStatus,
    MailboxState,
    MaybeApplied,
)

log = logging.getLogger(__name__)

SECURITY = ("tls", "starttls", "none")
# Where mail clients keep drafts and sent mail when the server marks no special use.
DRAFTS_NAMES = ("Drafts", "INBOX.Drafts", "INBOX/Drafts", "Draft", "[Gmail]/Drafts")
SENT_NAMES = ("Sent", "INBOX.Sent", "INBOX/Sent", "Sent Items", "Sent Messages",
              "Sent Mail", "[Gmail]/Sent Mail")
# RFC 5530 response codes of a refusal that may clear by itself.
_TRANSIENT = ("[UNAVAILABLE]", "[SERVERBUG]", "[INUSE]", "[LIMIT]", "[OVERQUOTA]")
_HEADERS = f"BODY.PEEK[HEADER.FIELDS ({KEY_HEADER.upper()} MESSAGE-ID)]"


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
            try:
                client.login(s.username, self.password())
            except LoginError as err:
                text = _one_line(err)
                if "UNAVAILABLE" in text.upper() or "SERVERBUG" in text.upper():
                    raise TransientError(f"{self._where()}: sign-in unavailable: {text}") \
                        from None
                raise AuthExpired(self.account, f"{s.server} refused the password") from None
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
                uid = _appenduid(answer)
                if uid is None:  # no UIDPLUS: the key tells which message it is
                    uid = _search_key(client, key, _select(client, drafts)) or (0, 0)
                self._last = None
                return DraftRef(f"{uid[0]}:{uid[1]}", message_id)
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
                return DraftRef(found.provider_id, message_id)
            raise MaybeApplied(f"{err}; not in Drafts, will look again before retrying") \
                from None

    def _find_in_drafts(self, key: str) -> DraftRef | None:
        with self._session() as client:
            drafts, _sent = self._discover(client)
            found = _search_key(client, key, _select(client, drafts))
        return DraftRef(f"{found[0]}:{found[1]}") if found else None

    def find_draft(self, key: str) -> DraftRef | None:
        """The message stamped with `key` in Drafts, else in Sent."""
        with self._session() as client:
            drafts, sent = self._discover(client)
            for folder in (drafts, sent):
                if folder is None:
                    continue
                found = _search_key(client, key, _select(client, folder))
                if found:
                    return DraftRef(f"{found[0]}:{found[1]}")
        return None

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
            result = self._states(client, folder, sent, drafts, int(status[b"UIDVALIDITY"]))
        self._last = (signature, {k: (drafts[k], result[k]) for k in drafts})
        return result

    def _states(self, client: Any, folder: str, sent: str | None,
                drafts: Mapping[str, DraftRef], validity: int) -> dict[str, DraftStatus]:
        _select(client, folder)
        in_drafts = _stamped(client, client.search(["NOT", "DELETED", "HEADER", KEY_HEADER, ""]))
        by_key = {key: uid for uid, (key, _mid, _date) in in_drafts.items()}
        by_mid = {mid: uid for uid, (_key, mid, _date) in in_drafts.items() if mid}
        result: dict[str, DraftStatus] = {}
        missing: dict[str, DraftRef] = {}
        for key, ref in drafts.items():
            uid = by_key.get(key) or (by_mid.get(ref.thread_id) if ref.thread_id else None)
            if uid is None:
                missing[key] = ref
                continue
            now_id = f"{validity}:{uid}"
            result[key] = DraftStatus(MailboxState.OPEN, ref=None if now_id == ref.provider_id
                                      else DraftRef(now_id, ref.thread_id))
        if missing and sent is None:
            return result | {k: DraftStatus(MailboxState.GONE) for k in missing}
        if missing:
            assert sent is not None
            _select(client, sent)
            terms = [["HEADER", KEY_HEADER, key] for key in missing]
            terms += [["HEADER", "Message-ID", r.thread_id] for r in missing.values()
                      if r.thread_id]
            seen = _stamped(client, client.search(["NOT", "DELETED", *_any_of(terms)]))
            sent_by_key = {k: d for _uid, (k, _m, d) in seen.items() if k}
            sent_by_mid = {m: d for _uid, (_k, m, d) in seen.items() if m}
            for key, ref in missing.items():
                if key in sent_by_key or (ref.thread_id and ref.thread_id in sent_by_mid):
                    when = sent_by_key.get(key) or sent_by_mid.get(ref.thread_id or "")
                    result[key] = DraftStatus(MailboxState.SENT, when)
                else:
                    result[key] = DraftStatus(MailboxState.DISCARDED)
        return result


def _select(client: Any, folder: str) -> int:
    """EXAMINE `folder` (read-only: flags stay as the user left them); its UIDVALIDITY."""
    return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])


def _search_key(client: Any, key: str, validity: int) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) of the live message stamped with `key` in the selected folder."""
    uids = client.search(["NOT", "DELETED", "HEADER", KEY_HEADER, key])
    return (validity, int(min(uids))) if uids else None


def _any_of(terms: Sequence[list[str]]) -> list[Any]:
    """One SEARCH criterion matching any of `terms` (IMAP's OR takes two at a time)."""
    if len(terms) == 1:
        return list(terms[0])
    half = len(terms) // 2
    return ["OR", _any_of(terms[:half]), _any_of(terms[half:])]


def _stamped(client: Any, uids: Sequence[int]) -> dict[int, tuple[str, str, datetime | None]]:
    """uid → (key, Message-ID, INTERNALDATE) for the given messages of the selected folder."""
    if not uids:
        return {}
    from email.parser import BytesHeaderParser

    parser = BytesHeaderParser()
    found: dict[int, tuple[str, str, datetime | None]] = {}
    for uid, data in client.fetch(list(uids), [_HEADERS, "INTERNALDATE"]).items():
        raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"")
        headers = parser.parsebytes(raw or b"")
        when = data.get(b"INTERNALDATE")
        if isinstance(when, datetime) and when.tzinfo is not None:
            when = when.astimezone(UTC)
        else:
            when = None
        found[int(uid)] = ((headers.get(KEY_HEADER) or "").strip(),
                           (headers.get("Message-ID") or "").strip(), when)
    return found


def _appenduid(answer: Any) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) from an `[APPENDUID v u]` answer (RFC 4315), if the server sent it."""
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    parts = text.strip().split()
    if len(parts) >= 3 and parts[0].upper() == "[APPENDUID":
        with contextlib.suppress(ValueError):
            return int(parts[1]), int(parts[2].rstrip("]"))
    return None


def _one_line(err: BaseException) -> str:
    """The server's words in one printable line (imaplib shows them as b'...')."""
    text = str(err).strip() or type(err).__name__
    if text[:2] in ("b'", 'b"'):
        text = text[2:-1]
    return one_line(text)
