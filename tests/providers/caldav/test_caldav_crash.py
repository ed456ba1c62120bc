"""kill -9 at random moments while drafting into Dovecot: afterwards one draft per key.

The same rounds as tests/runtime/test_crash.py, with `afterword run --once` on a CalDAV
(Radicale) + IMAP (Dovecot) account: a kill can land after Dovecot stored an APPEND and
before the state recorded it, and the next run must find that draft by its key instead
of writing another. AFTERWORD_CRASH_KILLS (default 200) scales the rounds: a twentieth here.
"""

from __future__ import annotations

import imaplib
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon.runtime.secrets import FileSecrets
from tests.conftest import AFTERWORD
from tests.providers.caldav.conftest import interviews_calendar, vcalendar, vevent
from tests.providers.caldav.servers import PASSWORD, Dovecot, Radicale
from tests.providers.caldav.test_caldav_e2e import account_toml
from tests.providers.caldav.test_imap_drafts import folder
from tests.runtime.test_crash import KILLS, Target, finish_and_check, kill_rounds

INTERVIEWS = 15  # each: one guest and the organizer
ROUNDS = max(6, KILLS // 20)


def clear_drafts(server: Dovecot) -> None:
    imap = server.connect()
    try:
        imap.select("Drafts")
        imap.store("1:*", "+FLAGS", "(\\Deleted)")
        imap.expunge()
    except imaplib.IMAP4.error:
        pass  # already empty
    finally:
        imap.logout()


def test_kill_9_while_drafting_over_imap(tmp_path: Path, radicale: Radicale,
                                         dovecot: Dovecot) -> None:
    now = datetime.now(UTC)
    calendar = interviews_calendar(radicale)
    for n in range(INTERVIEWS):
        calendar.save_event(vcalendar(vevent(
            f"iv-{n}", f"Interview {n} at Acme", now - timedelta(hours=3, minutes=n),
            guests=((f"Person {n}", f"p{n}@acme.example"),))))
    config = tmp_path / "config.toml"
    config.write_text('[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
                      'timezone = "Europe/Berlin"\n\n' + account_toml(radicale, dovecot.port)
                      + '\n[reminders]\nchannels = []\n[secrets]\nbackend = "file"\n')
    state = tmp_path / "state"
    FileSecrets(state / "afterword" / "credentials.json").set("fastmail", PASSWORD)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "XDG_STATE_HOME": str(state)}

    def keys() -> Counter[str]:
        return Counter(key for _flags, key in folder(dovecot, "Drafts"))

    target = Target([AFTERWORD, "run", "--once", "--config", str(config)], env,
                    INTERVIEWS * 2, keys, lambda: clear_drafts(dovecot),
                    lambda: sum(keys().values()))
    kill_rounds(target, ROUNDS, seed=16)
    finish_and_check(target, config)
