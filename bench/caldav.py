"""The `caldav` scenario: the real App/Cycle and provider against a real Radicale and a
real Dovecot on loopback (the test servers), counting what an idle cycle costs on the
wire: CalDAV requests from Radicale's log, IMAP commands through a counting relay.

`idle_requests` adds the CalDAV requests and the IMAP commands that ask about the
mailbox (1 REPORT + 1 STATUS when idle); `idle_imap_session_commands` counts the ones
that open and close the IMAP session each cycle (CAPABILITY, LOGIN, LOGOUT), and
`idle_caldav_requests` and `idle_imap_commands` give the parts apart. No byte count: the
servers are real ones, whose wire is not metered here.
"""


from __future__ import annotations

import imaplib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import requests

from afterword.daemon.config import parse
from afterword.daemon.runtime.app import App
from afterword.daemon.runtime.secrets import FileSecrets
from bench import synthetic

IDLE_CYCLES = 20
# Commands that open or close an IMAP session rather than ask about the mailbox.
SESSION_COMMANDS = frozenset({"CAPABILITY", "LOGIN", "LOGOUT", "STARTTLS", "AUTHENTICATE"})
MAX_EVENTS = 10_000  # Radicale stores one file per event: more only makes the setup long
Measure = Callable[[Callable[[], object]], float]


def _upload(url: str, user: str, password: str, text: str) -> None:
    """The whole calendar in one PUT on a new collection (Radicale accepts that)."""
    answer = requests.put(f"{url}{user}/bench/", data=text.encode(), auth=(user, password),
                          headers={"Content-Type": "text/calendar"}, timeout=600)
    answer.raise_for_status()


def _open_drafts(port: int, user: str, password: str, n_drafts: int) -> list[tuple[str, str]]:
    """M drafts already in Drafts (key id, provider id), as earlier cycles left them."""
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login(user, password)
    refs = []
    for i, key in enumerate(synthetic.draft_keys("bench", n_drafts)):
        raw = synthetic.note(key, i).as_bytes()
        _typ, data = imap.append("Drafts", "(\\Draft \\Seen)", None, raw)
        code = (data[0] or b"").decode()  # [APPENDUID validity uid] Append completed.
        parts = code.strip("[").split()
        refs.append((key.id, f"{parts[1]}:{parts[2].rstrip(']')}"))
    imap.logout()
    return refs


def scenario(n_events: int, n_drafts: int, folder: Path, measure: Measure) -> dict[str, object]:
    """First cycle and idle cycles of one caldav account."""
    from tests.providers.caldav.servers import PASSWORD, USER, Dovecot, Radicale
    from tests.providers.caldav.wire import relay

    if n_events > MAX_EVENTS:
        raise RuntimeError(f"caldav is measured up to {MAX_EVENTS:,} events")
    now = datetime.now(UTC)
    radicale, dovecot = Radicale(folder / "radicale"), Dovecot(folder / "dovecot")
    radicale.start()
    dovecot.start()
    try:
        _upload(radicale.url, USER, PASSWORD, synthetic.ics_calendar(n_events, now))
        refs = _open_drafts(dovecot.port, USER, PASSWORD, n_drafts)
        with relay(dovecot.port) as proxy:
            config = parse({
                "me": {"name": "Alex Rivera", "emails": [synthetic.ME], "timezone": "UTC"},
                "accounts": [{"name": "bench", "provider": "caldav", "username": USER,
                              "caldav_url": radicale.url, "imap_host": "127.0.0.1",
                              "imap_port": proxy.port, "imap_security": "none"}],
                "drafts": {"delay": "30m", "max_age": "7d"},
                "reminders": {"channels": []},
                "secrets": {"backend": "file"},
            }, base_dir=folder)
            app = App(config, state_dir=folder / "state")
            FileSecrets(folder / "state" / "credentials.json").set("bench", PASSWORD)
            keys = {k.id: k for k in synthetic.draft_keys("bench", n_drafts)}
            synthetic.record_open_drafts(
                app.store, [(keys[key], pid, None) for key, pid in refs], now)
            before = len(radicale.requests())
            report = None

            def first() -> None:
                nonlocal report
                report = app.cycle.run()

            first_cpu = measure(first)
            assert report is not None
            if not report.ok:
                raise RuntimeError(f"first cycle failed: {report.accounts[0].errors}")
            first_requests = len(radicale.requests()) - before + len(proxy.commands)
            app.cycle.run()  # the first look at Drafts after drafting reads the folder
            before = len(radicale.requests())
            proxy.reset()
            idle = [measure(app.cycle.run) for _ in range(IDLE_CYCLES)]
            caldav = (len(radicale.requests()) - before) / IDLE_CYCLES
            imap = len(proxy.commands) / IDLE_CYCLES
            session = sum(c.upper() in SESSION_COMMANDS for c in proxy.commands) / IDLE_CYCLES
            drafted = len(report.accounts[0].drafted)
            app.close()
    finally:
        radicale.stop()
        dovecot.stop()
    return {
        "first_sync_cpu_s": round(first_cpu, 4),
        "first_sync_requests": first_requests,
        "idle_cycle_cpu_ms": round(1000 * sorted(idle)[len(idle) // 2], 3),
        "idle_requests": round(caldav + imap - session, 2),
        "idle_caldav_requests": round(caldav, 2),
        "idle_imap_commands": round(imap, 2),
        "idle_imap_session_commands": round(session, 2),
        "idle_bytes": None,
        "drafts_written": drafted,
    }
