"""Reminder channels: desktop notifications (D-Bus), a webhook (JSON POST, or ntfy), a command.

Each channel either delivers or raises `ChannelError`; `deliver` tries every channel,
logs each failure as one line and never raises, so a broken channel is simply tried
again at the next reminder.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from afterword.daemon import __version__
from afterword.daemon.config import ChannelConfig
from afterword.daemon.errors import AfterwordError
from afterword.daemon.reminders.policy import Notice

log = logging.getLogger(__name__)

APP_NAME = "Afterword"
_TIMEOUT = 10.0  # seconds for any one channel


class ChannelError(AfterwordError):
    """A channel could not deliver a reminder."""


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


def send_desktop(notice: Notice) -> None:
    """org.freedesktop.Notifications.Notify on the session bus (pure Python, via jeepney)."""
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
        reply = connection.send_and_get_reply(message, timeout=_TIMEOUT)
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


def send_webhook(url: str, notice: Notice, fmt: str = "json") -> None:
    """POST the notice as JSON: ours (with plain "title" and "message"), or ntfy's."""
    import requests

    headers = {"User-Agent": f"afterword/{__version__}"}
    if fmt == "ntfy":
        url, body = ntfy_request(url, notice)
    else:
        body = payload(notice)
    try:
        response = requests.post(url, json=body, headers=headers, timeout=_TIMEOUT)
    except requests.RequestException as err:
        raise ChannelError(f"webhook: {type(err).__name__}") from None
    if response.status_code >= 300:
        raise ChannelError(f"webhook answered HTTP {response.status_code}")


def send_command(command: Sequence[str], notice: Notice) -> None:
    """Run the program with the title and message on stdin."""
    text = f"{notice.title}\n\n{notice.body}\n"
    try:
        done = subprocess.run(list(command), input=text, text=True, timeout=_TIMEOUT * 3,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    except (OSError, subprocess.SubprocessError) as err:
        raise ChannelError(f"command {command[0]!r}: {type(err).__name__}") from None
    if done.returncode != 0:
        raise ChannelError(f"command {command[0]!r} exited with status {done.returncode}")


def deliver(channels: Sequence[ChannelConfig], notice: Notice) -> int:
    """Send the notice on every channel; returns how many delivered (failures are logged)."""
    delivered = 0
    for channel in channels:
        try:
            if channel.type == "desktop":
                send_desktop(notice)
            elif channel.type == "webhook":
                send_webhook(channel.url, notice, channel.format)
            elif channel.type == "command":
                send_command(channel.command, notice)
            delivered += 1
        except ChannelError as err:
            log.warning("reminder channel %s failed (retried at the next reminder): %s",
                        channel.type, err)
        except Exception as err:  # a broken channel must never take the daemon down
            log.error("reminder channel %s failed unexpectedly: %s: %s", channel.type,
                      type(err).__name__, err)
    return delivered
