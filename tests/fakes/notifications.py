"""A recording org.freedesktop.Notifications service on a (private) D-Bus session bus.

Run as `python -m tests.fakes.notifications RECORD_FILE` with DBUS_SESSION_BUS_ADDRESS
set. It owns the well-known name, answers Notify / GetCapabilities /
GetServerInformation / CloseNotification / Introspect as the Desktop Notifications spec
says, and appends each Notify call to RECORD_FILE as one JSON line. It prints "ready"
once it owns the name.
"""

from __future__ import annotations

import json
import sys

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
INTERFACE = "org.freedesktop.Notifications"
INTROSPECTION = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
<arg type="as" direction="in"/><arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
<arg type="u" direction="out"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
</method><method name="CloseNotification"><arg type="u" direction="in"/></method>
</interface></node>"""


def serve(record_path: str) -> None:
    """Own the name and answer calls until the bus goes away."""
    conn = open_dbus_connection(bus="SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME, 4))  # 4: DO_NOT_QUEUE
    if reply.body[0] != 1:  # 1: PRIMARY_OWNER
        raise SystemExit(f"could not own {NAME}: {reply.body}")
    print("ready", flush=True)
    next_id = 0
    while True:
        try:
            msg = conn.receive()
        except (ConnectionError, OSError):
            return
        if msg.header.message_type is not MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        interface = msg.header.fields.get(HeaderFields.interface)
        if member == "Notify" and interface in (INTERFACE, None):
            if msg.header.fields.get(HeaderFields.signature) != "susssasa{sv}i":
                conn.send(new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs"))
                continue
            app, replaces, icon, summary, body, actions, hints, timeout = msg.body
            next_id += 1
            with open(record_path, "a", encoding="utf-8") as out:
                out.write(json.dumps({"app": app, "replaces_id": replaces, "icon": icon,
                                      "summary": summary, "body": body, "actions": actions,
                                      "hints": sorted(hints), "timeout": timeout}) + "\n")
            conn.send(new_method_return(msg, "u", (next_id,)))
        elif member == "GetCapabilities":
            conn.send(new_method_return(msg, "as", (["body"],)))
        elif member == "GetServerInformation":
            conn.send(new_method_return(msg, "ssss", ("fake", "afterword-tests", "1", "1.2")))
        elif member == "CloseNotification":
            conn.send(new_method_return(msg))
        elif member == "Introspect":
            conn.send(new_method_return(msg, "s", (INTROSPECTION,)))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    serve(sys.argv[1])
