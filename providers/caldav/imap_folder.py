"""IMAP folder work for the drafts: select, search by key, and tell open, sent, discarded."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from afterword.daemon.model import KEY_HEADER
from afterword.providers.base import DraftRef, DraftStatus, MailboxState

_HEADERS = f"BODY.PEEK[HEADER.FIELDS ({KEY_HEADER.upper()} MESSAGE-ID)]"


def states(client: Any, folder: str, sent: str | None, drafts: Mapping[str, DraftRef],
           validity: int) -> dict[str, DraftStatus]:
    """Open (by key, else Message-ID, in Drafts), sent (in Sent) or discarded."""
    select(client, folder)
    in_drafts = stamped(client, client.search(["NOT", "DELETED", "HEADER", KEY_HEADER, ""]))
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
        select(client, sent)
        terms = [["HEADER", KEY_HEADER, key] for key in missing]
        terms += [["HEADER", "Message-ID", r.thread_id] for r in missing.values()
                  if r.thread_id]
        seen = stamped(client, client.search(["NOT", "DELETED", *_any_of(terms)]))
        sent_by_key = {k: d for _uid, (k, _m, d) in seen.items() if k}
        sent_by_mid = {m: d for _uid, (_k, m, d) in seen.items() if m}
        for key, ref in missing.items():
            if key in sent_by_key or (ref.thread_id and ref.thread_id in sent_by_mid):
                when = sent_by_key.get(key) or sent_by_mid.get(ref.thread_id or "")
                result[key] = DraftStatus(MailboxState.SENT, when)
            else:
                result[key] = DraftStatus(MailboxState.DISCARDED)
    return result


def select(client: Any, folder: str) -> int:
    """EXAMINE `folder` (read-only: flags stay as the user left them); its UIDVALIDITY."""
    return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])


def search_key(client: Any, key: str, validity: int) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) of the live message stamped with `key` in the selected folder."""
    uids = client.search(["NOT", "DELETED", "HEADER", KEY_HEADER, key])
    return (validity, int(max(uids))) if uids else None  # the newest, after a replace


def _any_of(terms: Sequence[list[str]]) -> list[Any]:
    """One SEARCH criterion matching any of `terms` (IMAP's OR takes two at a time)."""
    if len(terms) == 1:
        return list(terms[0])
    half = len(terms) // 2
    return ["OR", _any_of(terms[:half]), _any_of(terms[half:])]


def stamped(client: Any, uids: Sequence[int]) -> dict[int, tuple[str, str, datetime | None]]:
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


def appenduid(answer: Any) -> tuple[int, int] | None:
    """(UIDVALIDITY, UID) from an `[APPENDUID v u]` answer (RFC 4315), if the server sent it."""
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    parts = text.strip().split()
    if len(parts) >= 3 and parts[0].upper() == "[APPENDUID":
        with contextlib.suppress(ValueError):
            return int(parts[1]), int(parts[2].rstrip("]"))
    return None
