"""The fault matrix's channel rows: a real daemon whose reminder channel hangs, floods,
trickles, is slow or redirects elsewhere.

Each row: an interview is drafted and its reminder goes out on the faulty channel; while
the channel is seen stuck (the command running, the receiver holding the connection), a
second interview is added and the daemon told to look (SIGHUP): its notes must appear
while the channel is still stuck — drafting never waits for a channel. Then SIGTERM must
end the daemon within 5 s, killing the command and hanging up on the receiver. Every step
waits for what the daemon did, never for a time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import calendar, local_config, vevent
from tests.daemon_proc import Daemon
from tests.fakes.webhook import stubborn_receiver, webhook_receiver
from tests.reminders.test_channel_limits import alive
from tests.runtime.test_daemon import drafts_in

FLOOD_MB = 400


@dataclass
class Channel:
    """The faulty channel's config, and how to see it is stuck."""

    toml: str
    stuck: object  # () -> truthy while the channel is in progress
    over: object  # () -> truthy once the daemon let go of it
    release: object = None  # () -> None: a slow channel answers at last


@contextmanager
def faulty(kind: str, tmp_path: Path) -> Iterator[Channel]:
    pidfile = tmp_path / "channel.pid"
    if kind in ("hung-command", "flooding-command"):
        flood = ("import os, sys\n"
                 f"b = b'x' * (1 << 20)\nfor _ in range({FLOOD_MB}): sys.stderr.buffer.write(b)\n"
                 if kind == "flooding-command" else "import os\n")
        script = (flood + f"open({str(pidfile) + '.tmp'!r}, 'w').write(str(os.getpid()))\n"
                  f"os.rename({str(pidfile) + '.tmp'!r}, {str(pidfile)!r})\n"
                  "import time\ntime.sleep(1000)\n")
        (tmp_path / "notifier.py").write_text(script)
        command = [sys.executable, str(tmp_path / "notifier.py")]

        def pid() -> int:
            return int(pidfile.read_text()) if pidfile.exists() else 0

        toml = f'[[reminders.channels]]\ntype = "command"\ncommand = {json.dumps(command)}\n'
        yield Channel(toml,
                      lambda: pid() and alive(pid()), lambda: pid() and not alive(pid()))
        return
    mode = kind.removesuffix("-webhook")
    with ExitStack() as stack:
        elsewhere, other = stack.enter_context(webhook_receiver())
        url, seen = stack.enter_context(stubborn_receiver(mode, location=elsewhere))
        toml = f'[[reminders.channels]]\ntype = "webhook"\nurl = "{url}"\n'
        if mode == "redirect":
            yield Channel(toml, lambda: seen.requests, lambda: not other.posts)
        else:
            yield Channel(toml, lambda: seen.requests and not seen.closed.is_set(),
                          seen.closed.is_set, seen.release.set if mode == "slow" else None)


def ended(uid: str, title: str, person: str) -> str:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return vevent(uid, title, start, attendees=[
        f"CN={person};ROLE=REQ-PARTICIPANT:mailto:{person.split()[0].lower()}@acme.com",
        "CN=Alex Rivera;ROLE=REQ-PARTICIPANT:mailto:alex@example.com"])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


CHANNEL_FAULTS = ["hung-command", "flooding-command", "trickle-webhook", "hang-webhook",
                  "slow-webhook", "redirect-webhook"]


@pytest.mark.parametrize("kind", CHANNEL_FAULTS)
def test_channel_fault(tmp_path: Path, kind: str) -> None:
    ics = tmp_path / "calendar.ics"
    first = ended("one@acme", "Interview with Acme", "Jane Doe")
    ics.write_text(calendar(first))
    with faulty(kind, tmp_path) as channel:
        config = local_config(tmp_path, extra=(
            'after = "1s"\nevery = "1h"\nquiet_hours = ""\n' + channel.toml
            + '[daemon]\npoll_interval = "1h"\n'))
        config.write_text(config.read_text().replace("channels = []\n", ""))
        daemon = Daemon(config)
        try:
            drafts = tmp_path / "Mail" / ".Drafts"
            daemon.wait_for(lambda: len(drafts_in(drafts)) == 1, "the first note")
            daemon.wait_for(channel.stuck, "the reminder stuck in its channel", timeout=60)
            if kind == "flooding-command":
                # Its 400 MB went through the daemon and were not kept.
                assert peak_rss_mb(daemon.proc.pid) < 200, peak_rss_mb(daemon.proc.pid)

            # A second interview while the channel is stuck: drafted all the same.
            ics.write_text(calendar(first, ended("two@globex", "Interview with Globex",
                                                 "Bob Roe")))
            daemon.signal(signal.SIGHUP)
            daemon.wait_for(lambda: len(drafts_in(drafts)) == 2, "the second note")
            if kind != "redirect-webhook":
                assert channel.stuck(), "the second note waited for the channel"
            if channel.release is not None:
                channel.release()  # slow, not broken: the reminder gets through
                daemon.wait_log("reminder sent about 1 thing(s) (draft) on 1 of 1 channel(s)")

            started = time.monotonic()
            assert daemon.stop(timeout=30) == 0
            # Well under the channel's 30 s deadline, with room for a loaded machine.
            assert time.monotonic() - started < 20, "SIGTERM waited for the channel"
            let_go = time.monotonic() + 30
            while not channel.over():  # the process is gone: only the channel can tell
                assert time.monotonic() < let_go, "the channel was never let go"
                time.sleep(0.05)
        finally:
            daemon.kill()
            for pid in [int((tmp_path / "channel.pid").read_text())] \
                    if (tmp_path / "channel.pid").exists() else []:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
    if kind == "redirect-webhook":
        assert "a redirect: not followed" in daemon.log
