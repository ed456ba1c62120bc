"""Drafts into a Maildir: `<maildir>/.Drafts/cur/` flagged Draft+Seen, where mutt, neomutt
and Dovecot show them as drafts. A draft that moved to `.Sent` was sent; one gone from both
was discarded.
"""

from __future__ import annotations

import logging
import mailbox
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from time import time_ns

from afterword.daemon.errors import ProviderError
from afterword.daemon.model import KEY_HEADER
from afterword.providers.base import (
    DraftMailbox,
    DraftRef,
    DraftStatus,
    MailboxState,
)

log = logging.getLogger(__name__)



class MaildirDrafts(DraftMailbox):
    """Drafts in `<root>/.Drafts`, sent mail expected in `<root>/.Sent` (Maildir++)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: tuple[tuple[int, ...], dict[str, tuple[DraftRef, DraftStatus]]] | None = None

    def _folder(self, name: str, create: bool) -> mailbox.Maildir | None:
        try:
            if not create and not (self.root / f".{name}").is_dir():
                return None
            if create:
                self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            box = mailbox.Maildir(self.root, factory=None, create=create)
            try:
                folder = box.get_folder(name)
                # A folder made by hand (or a tool) with only cur/ is still a folder:
                # listing it needs new/ and tmp/ too.
                for sub in ("cur", "new", "tmp"):
                    (self.root / f".{name}" / sub).mkdir(mode=0o700, exist_ok=True)
                return folder
            except mailbox.NoSuchMailboxError:
                return box.add_folder(name) if create else None
        except OSError as err:
            raise ProviderError(f"maildir {self.root}: {err.strerror or err}") from err

    def create_draft(self, key: str, message: EmailMessage,
                     send_by: datetime | None = None) -> DraftRef:
        """Write the draft atomically (tmp/ then rename into cur/), flagged Draft+Seen."""
        drafts = self._folder("Drafts", create=True)
        assert drafts is not None
        entry = mailbox.MaildirMessage(_file_bytes(message))
        entry.set_subdir("cur")
        entry.set_flags("DS")
        try:
            provider_id = drafts.add(entry)
        except OSError as err:
            raise ProviderError(f"cannot write draft to {self.root}/.Drafts: "
                                f"{err.strerror or err}") from err
        return DraftRef(provider_id, version=self.draft_version(DraftRef(provider_id)))

    def find_draft(self, key: str) -> DraftRef | None:
        """Look for a message stamped with `key` in Drafts, then in Sent."""
        for name in ("Drafts", "Sent"):
            folder = self._folder(name, create=False)
            found = _find_by_header(folder, key) if folder is not None else None
            if found:
                version = self.draft_version(DraftRef(found)) if name == "Drafts" else None
                return DraftRef(provider_id=found, version=version)
        return None

    def _draft_path(self, provider_id: str) -> Path | None:
        found = self._listing("Drafts").get(provider_id)
        return self.root / ".Drafts" / found if found else None

    def draft_version(self, ref: DraftRef) -> str | None:
        """The draft file's name, size and modification time (a mail client that saves
        the draft writes a new file or rewrites this one)."""
        path = self._draft_path(ref.provider_id)
        if path is None:
            return None
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return f"{path.name}:{st.st_size}:{st.st_mtime_ns}"

    def replace_draft(self, ref: DraftRef, key: str, message: EmailMessage,
                      send_by: datetime | None = None) -> DraftRef:
        """Write the new text to tmp/, then rename it over the draft's file: a reader (or
        a crash) sees the old draft or the new one, never both, never half of one."""
        path = self._draft_path(ref.provider_id)
        if path is None:
            raise ProviderError(f"draft {key} is no longer in {self.root}/.Drafts")
        tmp = self.root / ".Drafts" / "tmp" / f"{time_ns()}.{os.getpid()}.redraft"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_file_bytes(message))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise ProviderError(f"cannot rewrite draft in {self.root}/.Drafts: "
                                f"{err.strerror or err}") from err
        self._cache = None
        return DraftRef(ref.provider_id, version=self.draft_version(ref))

    def _listing(self, name: str) -> dict[str, str]:
        """Message key → file name for one folder, from two directory listings (no stat)."""
        found: dict[str, str] = {}
        for sub in ("new", "cur"):
            try:
                names = os.listdir(self.root / f".{name}" / sub)
            except FileNotFoundError:
                continue
            except OSError as err:
                raise ProviderError(f"maildir {self.root}: {err.strerror or err}") from err
            for filename in names:
                if not filename.startswith("."):
                    found[filename.split(":", 1)[0]] = f"{sub}/{filename}"
        return found

    def _signature(self) -> tuple[int, ...]:
        # A folder's mtime changes whenever a message is added, removed or renamed in it.
        stamps = []
        for name in ("Drafts", "Sent"):
            for sub in ("new", "cur"):
                try:
                    stamps.append((self.root / f".{name}" / sub).stat().st_mtime_ns)
                except OSError:
                    stamps.append(0)
        return tuple(stamps)

    def draft_states(self, drafts: Mapping[str, DraftRef]) -> dict[str, DraftStatus]:
        """Open if still in Drafts, sent if in Sent, else discarded.

        Idle cost: four stat() calls when no folder changed since the last call.
        """
        signature = self._signature()
        cached = self._cache
        if cached is not None and cached[0] == signature and all(
                k in cached[1] and cached[1][k][0] == ref for k, ref in drafts.items()):
            return {k: cached[1][k][1] for k in drafts}
        listed = {name: self._listing(name) for name in ("Drafts", "Sent")}
        result: dict[str, DraftStatus] = {}
        for key, ref in drafts.items():
            result[key] = self._state(key, ref, listed)
        # On filesystems with coarse timestamps a change in the same tick as a folder's
        # last change would not move its mtime: only trust folders that have settled.
        settled = time_ns() - max(signature) > 2_000_000_000
        self._cache = (signature, {k: (drafts[k], result[k]) for k in drafts}) if settled \
            else None
        return result

    def _state(self, key: str, ref: DraftRef, listed: dict[str, dict[str, str]]) -> DraftStatus:
        if ref.provider_id in listed["Drafts"]:
            return DraftStatus(MailboxState.OPEN)
        sent_file = listed["Sent"].get(ref.provider_id)
        if sent_file:
            return DraftStatus(MailboxState.SENT, self._mtime("Sent", sent_file))
        # The mail client may have re-saved the draft under a new name: match the header.
        for name, state in (("Drafts", MailboxState.OPEN), ("Sent", MailboxState.SENT)):
            folder = self._folder(name, create=False)
            moved = _find_by_header(folder, key) if folder is not None else None
            if moved:
                sent_at = self._mtime(name, listed[name].get(moved, "")) if name == "Sent" \
                    else None
                return DraftStatus(state, sent_at, ref=DraftRef(moved))
        return DraftStatus(MailboxState.DISCARDED)

    def _mtime(self, folder: str, filename: str) -> datetime | None:
        # Moving a file into .Sent keeps its mtime (when it was written) but sets its ctime:
        # the later of the two is when it arrived there.
        try:
            st = (self.root / f".{folder}" / filename).stat()
        except OSError:
            return None
        return datetime.fromtimestamp(max(st.st_mtime, st.st_ctime), UTC)


def _file_bytes(message: EmailMessage) -> bytes:
    # Files on disk use Unix line ends (as mutt and Dovecot write them), not SMTP's CRLF.
    return message.as_bytes(policy=message.policy.clone(linesep="\n"))


def _find_by_header(folder: mailbox.Maildir, key: str) -> str | None:
    parser = BytesParser()
    for msg_key in folder.keys():  # noqa: SIM118 (iterating a Maildir yields messages)
        try:
            with folder.get_file(msg_key) as handle:
                headers = parser.parse(handle, headersonly=True)  # type: ignore[arg-type]
        except (OSError, KeyError):
            continue  # removed while we looked
        if (headers.get(KEY_HEADER) or "").strip() == key:
            return str(msg_key)
    return None
