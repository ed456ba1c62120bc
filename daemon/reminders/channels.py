"""Reminder channels: desktop notifications (D-Bus), a webhook (JSON POST, or ntfy), a command.

Each channel either delivers or raises `ChannelError`; `deliver` tries every channel,
logs each failure as one line and never raises, so a broken channel is simply tried
again at the next reminder. Whatever a channel does, one delivery on it ends by its
`Deadline` (connect, request and whole answer together, not per read): a webhook's
socket is shut down, a command's process group killed. A command's output is read and
thrown away as it comes, keeping a few kilobytes for the error line. A webhook is never
redirected: a 3xx is a failure, so the reminder (names, companies) goes nowhere but the
configured URL.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import select
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from html import escape
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from afterword.daemon import __version__
from afterword.daemon.config import ChannelConfig
from afterword.daemon.errors import AfterwordError
from afterword.daemon.reminders.policy import Notice

log = logging.getLogger(__name__)

APP_NAME = "Afterword"
DEADLINE = 30.0  # seconds for one delivery on one channel, everything included
CAPTURE = 4096  # bytes of a command's stderr or a webhook's answer kept; the rest discarded
_TICK = 0.2  # seconds between looks at the deadline and the stop flag


class ChannelError(AfterwordError):
    """A channel could not deliver a reminder."""


class Deadline:
    """When one delivery must be over, and a flag that ends it early (the daemon stops)."""

    def __init__(self, seconds: float, stop: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.stop = stop or threading.Event()

    def left(self) -> float:
        """Seconds left (0 once stopped)."""
        return 0.0 if self.stop.is_set() else max(0.0, self.at - time.monotonic())

    @property
    def over(self) -> bool:
        """The delivery must end now."""
        return self.left() <= 0

    def reason(self) -> str:
        """Why a delivery was cut short, for the one-line error."""
        if self.stop.is_set():
            return "stopped: Afterword is shutting down"
        return f"no answer within {self.seconds:g}s, given up"

    @contextmanager
    def enforced(self, abort: Callable[[], None]) -> Iterator[None]:
        """Run `abort` from a watcher thread if the block is still running at the end."""
        finished = threading.Event()

        def watch() -> None:
            while not finished.wait(min(_TICK, self.left()) or 0.001):
                if self.over:
                    abort()
                    return

        watcher = threading.Thread(target=watch, name="channel-deadline", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            finished.set()


def payload(notice: Notice) -> dict[str, Any]:
    """The JSON a webhook receives (names and keys only, never an address)."""
    return {
        "app": "afterword",
        "title": notice.title,
        "message": notice.body,
        "items": [{"kind": s.kind.value, "key": s.key, "label": s.label,
                   "deadline": s.deadline.isoformat() if s.deadline else None}
                  for s in notice.subjects],
    }


def send_desktop(notice: Notice, deadline: Deadline | None = None) -> None:
    """org.freedesktop.Notifications.Notify on the session bus (pure Python, via jeepney)."""
    deadline = deadline or Deadline(DEADLINE)
    from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    address = DBusAddress("/org/freedesktop/Notifications",
                          bus_name="org.freedesktop.Notifications",
                          interface="org.freedesktop.Notifications")
    # The spec allows simple markup in the body, so text from calendars is escaped.
    body = escape(notice.body, quote=False)
    message = new_method_call(address, "Notify", "susssasa{sv}i", (
        APP_NAME, 0, "mail-message-new", notice.title, body, [],
        {"desktop-entry": ("s", "afterword"), "urgency": ("y", 1)}, -1))
    bus = "SESSION"
    runtime_bus = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "bus")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and os.path.exists(runtime_bus):
        # A service started before the session exported its address: the standard socket.
        bus = f"unix:path={runtime_bus}"
    try:
        connection = open_dbus_connection(bus=bus)
    except (OSError, KeyError, ValueError) as err:
        # KeyError: no DBUS_SESSION_BUS_ADDRESS (a headless host, or a unit without a session).
        raise ChannelError(f"no D-Bus session bus ({type(err).__name__}: {err})") from None
    try:
        reply = connection.send_and_get_reply(message, timeout=max(deadline.left(), 0.01))
    except (OSError, TimeoutError) as err:
        raise ChannelError(f"D-Bus: {err or type(err).__name__}") from None
    finally:
        connection.close()
    if reply.header.message_type is MessageType.error:
        name = reply.header.fields.get(HeaderFields.error_name, "an error")
        raise ChannelError(f"the notification service answered {name}")


def ntfy_request(url: str, notice: Notice) -> tuple[str, dict[str, Any]]:
    """ntfy's JSON publishing: POST {"topic", "title", "message"} to the server root.

    A JSON body posted to the topic URL itself would be shown as raw JSON on the phone.
    The root keeps any path prefix of a self-hosted server (https://host/ntfy/topic).
    """
    parts = urlsplit(url)
    prefix, _, topic = parts.path.rstrip("/").rpartition("/")
    root = urlunsplit((parts.scheme, parts.netloc, prefix + "/", "", ""))
    return root, {"topic": topic, "title": notice.title, "message": notice.body,
                  "tags": ["envelope"]}


def send_webhook(url: str, notice: Notice, fmt: str = "json",
                 deadline: Deadline | None = None) -> None:
    """POST the notice as JSON (ours, with plain "title" and "message", or ntfy's), once,
    to exactly this URL: no redirect is followed, nothing outlives the deadline."""
    deadline = deadline or Deadline(DEADLINE)
    if fmt == "ntfy":
        url, body = ntfy_request(url, notice)
    else:
        body = payload(notice)
    parts = urlsplit(url)
    # http.client, not requests: a socket this module holds can be shut down at the
    # deadline, which ends a trickling answer that each per-read timeout would let
    # through; and it never follows redirects. (getaddrinfo cannot be interrupted: the
    # resolver's own timeouts bound it, and the daemon never waits for this thread.)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.netloc.rpartition("@")[2], timeout=max(deadline.left(), 0.01))
    target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    data = json.dumps(body).encode()
    headers = {"User-Agent": f"afterword/{__version__}", "Content-Type": "application/json",
               "Accept": "application/json"}
    try:
        with deadline.enforced(lambda: _shutdown(connection)):
            connection.request("POST", target, body=data, headers=headers)
            response = connection.getresponse()
            response.read(CAPTURE)  # at most this much of the answer, however long it is
    except (OSError, http.client.HTTPException) as err:
        if deadline.over:
            raise ChannelError(f"webhook: {deadline.reason()}") from None
        raise ChannelError(f"webhook: {type(err).__name__}") from None
    finally:
        connection.close()
    if 300 <= response.status < 400:
        # The Location is not logged: it may carry a token, as the URL itself does.
        raise ChannelError(f"webhook answered HTTP {response.status}, a redirect: not "
                           "followed (put the address it points to in the config)")
    if response.status >= 300:
        raise ChannelError(f"webhook answered HTTP {response.status}")


def _shutdown(connection: http.client.HTTPConnection) -> None:
    """End whatever the connection is blocked in (from the deadline's watcher thread)."""
    sock = connection.sock
    if sock is not None:
        # socket.socket's own shutdown, under an SSL socket too: the blocked read returns
        # at once in the other thread.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def send_command(command: Sequence[str], notice: Notice,
                 deadline: Deadline | None = None) -> None:
    """Run the program with the title and message on stdin; killed (with everything it
    started) at the deadline. Its stdout is discarded, its stderr read and discarded as it
    comes but for the first few kilobytes, which end the error line when it fails."""
    deadline = deadline or Deadline(DEADLINE)
    text = f"{notice.title}\n\n{notice.body}\n".encode()
    try:
        # Its own process group: a shell's children are killed with it.
        proc = subprocess.Popen(list(command), stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
    except (OSError, subprocess.SubprocessError) as err:
        raise ChannelError(f"command {command[0]!r}: {type(err).__name__}") from None
    try:
        kept = _exchange(proc, text, deadline)
        while proc.poll() is None and not deadline.over:
            try:
                proc.wait(timeout=min(_TICK, deadline.left()) or 0.001)
            except subprocess.TimeoutExpired:
                continue
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    if deadline.over and proc.returncode != 0:
        raise ChannelError(f"command {command[0]!r}: {deadline.reason()}, killed")
    if proc.returncode != 0:
        said = " ".join(kept.decode("utf-8", "replace").split())[:200]
        raise ChannelError(f"command {command[0]!r} exited with status {proc.returncode}"
                           + (f": {said}" if said else ""))


def _exchange(proc: subprocess.Popen[bytes], text: bytes, deadline: Deadline) -> bytes:
    """Write stdin and drain stderr together (neither may block the other) until both are
    closed or the deadline passes; returns the first CAPTURE bytes of stderr."""
    assert proc.stdin is not None and proc.stderr is not None
    kept = bytearray()
    pending = memoryview(text)
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdin, selectors.EVENT_WRITE)
        selector.register(proc.stderr, selectors.EVENT_READ)
        while selector.get_map() and not deadline.over:
            ready = selector.select(timeout=min(_TICK, deadline.left()))
            if not ready and proc.poll() is not None:
                break  # it is done; something it started may hold the pipe: not waited for
            for key, _events in ready:
                if key.fileobj is proc.stdin:
                    try:
                        written = os.write(proc.stdin.fileno(), pending[:select.PIPE_BUF])
                        pending = pending[written:]
                    except BrokenPipeError:  # it does not read its input: its choice
                        pending = pending[len(pending):]
                    if not pending:
                        selector.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                chunk = os.read(proc.stderr.fileno(), 65536)
                if not chunk:
                    selector.unregister(proc.stderr)
                    continue
                if len(kept) < CAPTURE:
                    kept += chunk[:CAPTURE - len(kept)]
    for pipe in (proc.stdin, proc.stderr):
        pipe.close()
    return bytes(kept)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command and everything in its process group, and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def deliver(channels: Sequence[ChannelConfig], notice: Notice, seconds: float = DEADLINE,
            stop: threading.Event | None = None) -> int:
    """Send the notice on every channel, each within `seconds` (all end at once when
    `stop` is set); returns how many delivered. Failures are logged, never raised."""
    delivered = 0
    for channel in channels:
        if stop is not None and stop.is_set():
            break
        deadline = Deadline(seconds, stop)
        try:
            if channel.type == "desktop":
                send_desktop(notice, deadline)
            elif channel.type == "webhook":
                send_webhook(channel.url, notice, channel.format, deadline)
            elif channel.type == "command":
                send_command(channel.command, notice, deadline)
            delivered += 1
        except ChannelError as err:
            log.warning("reminder channel %s failed (retried at the next reminder): %s",
                        channel.type, err)
        except Exception as err:  # a broken channel must never take the daemon down
            log.error("reminder channel %s failed unexpectedly: %s: %s", channel.type,
                      type(err).__name__, err)
    log.info("reminder sent about %d thing(s) (%s) on %d of %d channel(s)",
             len(notice.subjects), ", ".join(sorted({s.kind.value for s in notice.subjects})),
             delivered, len(channels))
    return delivered


class Outbox:
    """Delivers reminders in a thread of its own, so drafting never waits for a channel.

    One notice at a time; a few may wait. When more pile up (every channel hanging
    until its deadline) the newest are dropped with a warning: their subjects are
    recorded as reminded and come round again at the next reminder.
    """

    QUEUE = 4

    def __init__(self, seconds: float = DEADLINE) -> None:
        self.seconds = seconds
        self.stopping = threading.Event()
        self._queue: list[tuple[tuple[ChannelConfig, ...], Notice]] = []
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="reminder-outbox", daemon=True)
        self._thread.start()

    def submit(self, channels: Sequence[ChannelConfig], notice: Notice) -> None:
        """Queue the notice for every channel; returns at once."""
        with self._ready:
            if self.stopping.is_set():
                return
            if len(self._queue) >= self.QUEUE:
                log.warning("reminder about %d thing(s) not sent: %d reminders are still "
                            "waiting for slow channels", len(notice.subjects), len(self._queue))
                return
            self._queue.append((tuple(channels), notice))
            self._ready.notify()

    def stop(self, wait: float = 2.0) -> None:
        """Cut the delivery in progress short (its command killed, its socket shut) and
        end the thread; waits at most `wait` seconds."""
        with self._ready:
            self.stopping.set()
            self._queue.clear()
            self._ready.notify()
        self._thread.join(wait)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self.stopping.is_set():
                    self._ready.wait()
                if self.stopping.is_set():
                    return
                channels, notice = self._queue.pop(0)
            deliver(channels, notice, self.seconds, self.stopping)
