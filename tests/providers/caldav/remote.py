"""The CalDAV + IMAP account in the fault matrix (tests/runtime/test_fault_matrix.py).

Radicale behind an HTTP relay and Dovecot behind an IMAP relay, both real servers: a
"read" fault hits the calendar's REPORT, a "write" fault the mailbox's APPEND. IMAP has
no status codes, so 429/500/503 on a write are the server's `NO [UNAVAILABLE]`; "slow",
"drop" and "malformed" writes reach Dovecot, which stores the draft, and lose, hold or
garble its answer. "401" is one refused request, "invalid_grant" a password changed on
the servers, "sync_expired" Radicale forgetting its sync tokens.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from afterword.daemon.runtime.secrets import KeyringSecrets
from tests.providers.caldav.conftest import dav_client, interviews_calendar, vcalendar, vevent
from tests.providers.caldav.http_relay import HttpRelay
from tests.providers.caldav.servers import PASSWORD, USER, Dovecot, Radicale
from tests.providers.caldav.test_imap_drafts import folder
from tests.providers.caldav.wire import ImapRelay

LASTING = 12
SLOW = 1.5
NEW_PASSWORD = "a brand new app password"


class CalDavRemote:
    """A Remote (see the fault matrix) for provider = "caldav"."""

    name = "fastmail"
    # Repaired inside the cycle: a second attempt (one 401), a full read (sync token), and
    # an APPEND whose answer was late, lost or garbled: the draft is found by its key.
    repaired = frozenset({"401", "sync_expired", "slow-write", "drop-write",
                          "malformed-write"})
    retry_after = frozenset({"429-read"})  # IMAP has no Retry-After

    def __init__(self, radicale: Radicale, dovecot: Dovecot) -> None:
        self.radicale, self.dovecot = radicale, dovecot
        self.http = HttpRelay(radicale.port)
        self.imap = ImapRelay(dovecot.port)
        self.password = PASSWORD
        self.sleeps: list[float] = []

    def close(self) -> None:
        self.http.close()
        self.imap.close()

    def account_toml(self) -> str:
        return (f'[[accounts]]\nname = "fastmail"\nprovider = "caldav"\nusername = "{USER}"\n'
                f'caldav_url = "{self.http.url}"\nimap_host = "127.0.0.1"\n'
                f'imap_port = {self.imap.port}\nimap_security = "none"\ntimeout = "1s"\n\n')

    def extra(self) -> dict[str, object]:
        return {"sleep": self.sleeps.append}

    def sign_in(self) -> None:
        KeyringSecrets().set(self.name, self.password)

    def add_interview(self, title: str, start: datetime,
                      guests: list[tuple[str, str]]) -> None:
        uid = hashlib.sha256(f"{title}{start}".encode()).hexdigest()[:16]
        interviews_calendar(self.radicale).save_event(vcalendar(vevent(
            uid, title, start, guests=tuple(guests), organizer=guests[0])))

    def drafts(self) -> Counter[str]:
        return Counter(key for _flags, key in folder(self.dovecot, "Drafts"))

    def creates(self) -> int:
        return self.imap.commands.count("APPEND")

    def arm(self, fault: str) -> None:
        kind, _, where = fault.partition("-")
        http, imap = self.http.faults, self.imap
        http.method = "REPORT"
        if where == "read":
            if kind in ("429", "500", "503"):
                http.status = [int(kind)] * LASTING
                http.retry_after = "7" if kind == "429" else None
            elif kind == "slow":
                http.slow, http.delay = LASTING, SLOW
            elif kind == "drop":
                http.drop = LASTING
            elif kind == "malformed":
                http.malformed = LASTING
        elif where == "write":
            imap.append_faults, imap.delay = LASTING, SLOW
            imap.append_fault = {"slow": "slow", "drop": "lose", "malformed": "garble"}.get(
                kind, "refuse")
        elif kind == "401":
            http.status = [401]
        elif kind == "invalid_grant":
            self._change_password(NEW_PASSWORD)
        elif kind == "sync_expired":
            for cache in (self.radicale.root / "collections").rglob("sync-token"):
                shutil.rmtree(cache)
        elif kind == "deleted_before_record":
            imap.append_faults, imap.append_fault = 1, "lose_after"
            imap.after_store = self._user_deletes_every_draft

    def _change_password(self, password: str) -> None:
        self.password = self.radicale.password = self.dovecot.password = password
        for path, line in ((self.radicale.root / "users", f"{USER}:{password}\n"),
                           (self.dovecot.root / "passwd", f"{USER}:{{PLAIN}}{password}\n")):
            # A new file (a new inode) as an admin tool writes it: both servers reload.
            path.with_suffix(".new").write_text(line)
            path.with_suffix(".new").rename(path)
        # Dovecot re-reads the file at most once a second: wait until it takes the new one.
        deadline = time.monotonic() + 30
        while True:
            try:
                self.dovecot.connect().logout()
                return
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _user_deletes_every_draft(self) -> None:
        imap = self.dovecot.connect()
        imap.select("Drafts")
        imap.store("1:*", "+FLAGS", "(\\Deleted)")
        imap.expunge()
        imap.logout()

    def clear(self) -> None:
        self.http.faults.clear()
        self.imap.append_faults = 0
        self.imap.lose_append_answer = 0


@contextlib.contextmanager
def caldav_remote(root: Path) -> Iterator[CalDavRemote]:
    """Radicale (with the Interviews calendar) and Dovecot, relays in front, for one case."""
    radicale, dovecot = Radicale(root / "radicale"), Dovecot(root / "dovecot")
    radicale.start()
    try:
        dovecot.start()
        try:
            dav_client(radicale).principal().make_calendar(name="Interviews",
                                                           cal_id="interviews")
            remote = CalDavRemote(radicale, dovecot)
            try:
                yield remote
            finally:
                remote.close()
        finally:
            dovecot.stop()
    finally:
        radicale.stop()
