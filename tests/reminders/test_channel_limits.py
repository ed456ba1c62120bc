"""Channels that misbehave end by their deadline and never flood memory or leak a reminder:
real loopback receivers that trickle, hang and redirect, real commands that flood and hang."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from afterword.daemon.config import ChannelConfig
from afterword.daemon.reminders import channels
from afterword.daemon.reminders.channels import ChannelError, Deadline, Outbox
from tests.fakes.webhook import stubborn_receiver, webhook_receiver
from tests.reminders.test_notify import notice

SHORT = 1.5  # seconds: a deadline the tests can afford to reach


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (killed, not yet reaped by its parent).
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_trickling_webhook_is_given_up_at_the_deadline(
        caplog: pytest.LogCaptureFixture) -> None:
    with stubborn_receiver("trickle") as (url, seen), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        assert channels.deliver([ChannelConfig(type="webhook", url=url)], notice(),
                                seconds=SHORT) == 0
        took = time.monotonic() - started
        # The whole answer would take minutes at a byte per 0.5 s; each read is quick, so
        # only a deadline on the whole exchange ends it.
        assert seen.closed.wait(30), "the receiver never saw the connection closed"
    assert len(seen.requests) == 1
    assert "webhook: no answer within 1.5s, given up" in caplog.text
    assert took < 30


def test_a_webhook_that_never_answers_is_given_up(caplog: pytest.LogCaptureFixture) -> None:
    with stubborn_receiver("hang") as (url, seen), caplog.at_level(logging.WARNING):
        assert channels.deliver([ChannelConfig(type="webhook", url=url)], notice(),
                                seconds=SHORT) == 0
        assert seen.closed.wait(30)
    assert "no answer within" in caplog.text


def test_a_redirect_to_another_host_is_not_followed(caplog: pytest.LogCaptureFixture) -> None:
    with webhook_receiver() as (elsewhere, other), \
            stubborn_receiver("redirect", location=elsewhere) as (url, seen), \
            caplog.at_level(logging.WARNING):
        assert channels.deliver([ChannelConfig(type="webhook", url=url)], notice()) == 0
    assert len(seen.requests) == 1
    assert other.posts == []  # the names and companies went nowhere else
    assert "webhook answered HTTP 307, a redirect: not followed" in caplog.text
    assert elsewhere not in caplog.text


def test_a_slow_webhook_that_answers_in_time_delivers() -> None:
    with stubborn_receiver("slow") as (url, seen):
        threading.Timer(0.3, seen.release.set).start()
        assert channels.deliver([ChannelConfig(type="webhook", url=url)], notice()) == 1


def test_a_command_flooding_stderr_is_read_and_discarded_not_kept() -> None:
    # 200 MB on stderr, then success: delivered, and memory stays flat.
    flood = (sys.executable, "-c",
             "import sys; b = b'x' * (1 << 20)\nfor _ in range(200): sys.stderr.buffer.write(b)")
    tracemalloc.start()
    try:
        channels.send_command(flood, notice())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, peak


def test_a_failing_command_says_the_start_of_what_it_wrote() -> None:
    failing = (sys.executable, "-c",
               "import sys; sys.stderr.write('notifier: no token\\n' + 'y' * 10**6); exit(2)")
    with pytest.raises(ChannelError) as caught:
        channels.send_command(failing, notice())
    message = str(caught.value)
    assert message.startswith(f"command {sys.executable!r} exited with status 2: notifier")
    assert len(message) < 400 and "\n" not in message


def test_a_hung_command_and_its_children_are_killed_at_the_deadline(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # A shell that starts a child and waits: both must go.
    hung = ("sh", "-c", f"sleep 1000 & echo $$ $! > {pids}; wait")
    with pytest.raises(ChannelError, match=r"no answer within 1\.5s, given up, killed"):
        channels.send_command(hung, notice(), Deadline(SHORT))
    for pid in map(int, pids.read_text().split()):
        assert gone(pid), pid


def gone(pid: int, patience: float = 30.0) -> bool:
    """Whether the process dies within `patience` seconds: SIGKILL is delivered when the
    process is next scheduled, which on a loaded machine is not at once."""
    end = time.monotonic() + patience
    while alive(pid):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def test_an_endless_stderr_flood_is_killed_at_the_deadline() -> None:
    endless = (sys.executable, "-c",
               "import sys\nwhile True: sys.stderr.buffer.write(b'z' * 65536)")
    tracemalloc.start()
    try:
        with pytest.raises(ChannelError, match="killed"):
            channels.send_command(endless, notice(), Deadline(SHORT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, peak


def test_stopping_the_outbox_kills_the_command_in_progress(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    hung = ChannelConfig(type="command", command=(
        "sh", "-c", f"echo $$ > {pidfile}.tmp; mv {pidfile}.tmp {pidfile}; exec sleep 1000"))
    outbox = Outbox()
    outbox.submit([hung], notice())  # returns at once
    deadline = time.monotonic() + 30
    while not pidfile.exists():
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.02)
    pid = int(pidfile.read_text())
    assert alive(pid)
    outbox.stop()
    assert gone(pid)


def test_a_command_that_leaves_a_child_holding_stderr_is_done_when_it_exits(
        tmp_path: Path) -> None:
    # notify-send style: the command exits 0 at once, a background child lives on with
    # the command's stderr; the delivery is over when the command is, not at the deadline.
    pid = tmp_path / "pid"
    started = time.monotonic()
    try:
        channels.send_command(("sh", "-c", f"sleep 1000 & echo $! > {pid}; exit 0"),
                              notice(), Deadline(60))
        assert time.monotonic() - started < 30
    finally:
        os.kill(int(pid.read_text()), 9)
