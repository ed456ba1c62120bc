"""A loopback TCP relay in front of Dovecot that reads the IMAP conversation.

It records each command the client sends (tag and name, literals skipped), so a test can
count what an idle cycle costs, and it can lose the answer to an APPEND: the message
reaches Dovecot whole, Dovecot stores it and answers, and the relay drops the connection
instead of passing the answer on. That is the fault after which a client must not write
the draft a second time.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class ImapRelay:
    """Listens on a free loopback port and relays every connection to `port`."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.commands: list[str] = []  # "LOGIN", "STATUS", … in the order they were sent
        self.connections = 0
        self.lose_append_answer = 0  # how many APPEND answers to lose from now on
        # Other faults for the next `append_faults` APPENDs: "refuse" (NO [UNAVAILABLE]
        # without asking the server), "slow" (the answer held `delay` seconds), "garble"
        # (the answer replaced by an unreadable line), "lose_after" (the answer lost once
        # `after_store` ran: the user deletes the draft in that instant).
        self.append_fault = ""
        self.append_faults = 0
        self.delay = 0.0
        self.after_store: Callable[[], None] = lambda: None
        self.lost: list[str] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._stopped = False
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    def _serve(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self.connections += 1
                self._socks += [client, upstream]
            state = {"drop_tag": b"", "mode": b""}
            for target in (self._from_client, self._from_server):
                thread = threading.Thread(target=target, args=(client, upstream, state),
                                          daemon=True)
                thread.start()
                self._threads.append(thread)

    def _from_client(self, client: socket.socket, upstream: socket.socket,
                     state: dict[str, bytes]) -> None:
        buffer = b""
        literal = 0
        command = b""
        with contextlib.suppress(OSError):
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buffer += data  # read before relaying: the answer cannot outrun the parse
                while True:
                    if literal:
                        taken = min(literal, len(buffer))
                        buffer, literal = buffer[taken:], literal - taken
                        if literal:
                            break
                    end = buffer.find(b"\r\n")
                    if end < 0:
                        break
                    line, buffer = buffer[:end + 2], buffer[end + 2:]
                    if not command:  # the first line of a command: tag and name
                        parts = line.split(None, 2)
                        if len(parts) >= 2:
                            command = parts[0]
                            name = parts[1].decode(errors="replace").upper()
                            if name == "UID" and len(parts) > 2:
                                name = "UID " + parts[2].split(None, 1)[0].decode().upper()
                            with self._lock:
                                self.commands.append(name)
                                if name == "APPEND" and self.lose_append_answer:
                                    self.lose_append_answer -= 1
                                    state["drop_tag"] = command
                                    state["mode"] = b"lose"
                                elif name == "APPEND" and self.append_faults:
                                    self.append_faults -= 1
                                    state["drop_tag"] = command
                                    state["mode"] = self.append_fault.encode()
                    if state.get("mode") == b"refuse" and state["drop_tag"] == command:
                        # Answer for the server, which never hears of this APPEND.
                        client.sendall(command + b" NO [UNAVAILABLE] Try again later\r\n")
                        state["drop_tag"] = state["mode"] = b""
                        command, data, buffer = b"", b"", b""
                        break
                    found = _LITERAL.search(line)
                    if found:
                        literal = int(found.group(1))
                    else:
                        command = b""  # the command's last line
                if data:
                    upstream.sendall(data)
        _close(client, upstream)

    def _from_server(self, client: socket.socket, upstream: socket.socket,
                     state: dict[str, bytes]) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                tag = state["drop_tag"]
                if tag and re.search(rb"(?:^|\r\n)" + re.escape(tag) + rb" ", data):
                    mode = state.get("mode", b"lose")
                    state["drop_tag"] = state["mode"] = b""
                    with self._lock:
                        self.lost.append(tag.decode())
                    if mode == b"slow":
                        time.sleep(self.delay)  # the client has given up waiting
                    elif mode == b"garble":
                        data = b"%%% garbled %%%\r\n"
                    else:
                        if mode == b"lose_after":
                            self.after_store()
                        break  # the answer never reaches the client
                client.sendall(data)
        _close(client, upstream)

    def reset(self) -> None:
        """Forget the commands seen so far."""
        with self._lock:
            self.commands.clear()
            self.connections = 0

    def close(self) -> None:
        """Stop listening and cut every relayed connection."""
        self._stopped = True
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.server.close()
        with self._lock:
            for sock in self._socks:
                with contextlib.suppress(OSError):
                    sock.close()


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()


@contextlib.contextmanager
def relay(port: int) -> Iterator[ImapRelay]:
    """An ImapRelay in front of `port`, closed afterwards."""
    proxy = ImapRelay(port)
    try:
        yield proxy
    finally:
        proxy.close()
