"""Loopback HTTP receivers for the webhook reminder channel: one that records every POST,
and one that misbehaves (trickles, hangs, holds its answer, redirects elsewhere)."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """What the receiver was sent."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200  # what to answer (tests make it fail with 500)
    # As ntfy (ntfy=True): the notifications a phone would show, {topic, title, message}.
    published: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[Any]:
        """The decoded JSON bodies, in order."""
        with self.lock:
            return [p["json"] for p in self.posts]


def _as_ntfy(path: str, headers: Any, raw: bytes, body: Any) -> tuple[int, dict[str, Any]]:
    """What ntfy publishes for a POST (docs.ntfy.sh/publish): JSON with a "topic" to the
    root is parsed; anything posted to /TOPIC is the message text as is (raw JSON too),
    titled by the Title header."""
    topic = path.strip("/").split("?")[0]
    if not topic:
        if not isinstance(body, dict) or not isinstance(body.get("topic"), str) \
                or not body["topic"]:
            return 400, {"code": 40001, "error": "invalid request: topic missing"}
        return 200, {"topic": body["topic"], "title": body.get("title"),
                     "message": body.get("message") or "triggered"}
    return 200, {"topic": topic, "title": headers.get("Title"),
                 "message": raw.decode("utf-8", "replace")}


@contextmanager
def webhook_receiver(ntfy: bool = False) -> Iterator[tuple[str, Recorded]]:
    """A running receiver: (its URL, what it recorded); `ntfy` makes it act as ntfy."""
    recorded = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            status = recorded.status
            with recorded.lock:
                recorded.posts.append({"path": self.path, "headers": dict(self.headers),
                                       "json": body, "at": time.time()})
                if ntfy and status < 300:
                    status, message = _as_ntfy(self.path, self.headers, raw, body)
                    if status < 300:
                        recorded.published.append(message)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id":"x"}')

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/afterword-topic", recorded
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Stubborn:
    """What a misbehaving receiver saw, and the switch that releases a held answer."""

    requests: list[bytes] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)  # the client hung up
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def stubborn_receiver(mode: str, location: str = "") -> Iterator[tuple[str, Stubborn]]:
    """A webhook receiver that misbehaves the way real ones were seen to.

    - "trickle": answers one byte of a valid response every 0.5 s (each read is quick,
      the whole answer takes minutes);
    - "hang": reads the request, never answers;
    - "slow": answers 200 only once `release` is set;
    - "redirect": answers 307 to `location` (another host), as a hijacked hook might.
    """
    seen = Stubborn()
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: 11\r\n\r\n{\"id\":\"x\"}\n")

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                head += chunk
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += self.request.recv(65536)
            seen.requests.append(head.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + body)
            try:
                if mode == "trickle":
                    for byte in answer * 1000:
                        self.request.sendall(bytes([byte]))
                        if seen.closed.wait(0.5):
                            return
                elif mode == "hang":
                    self.request.recv(1)  # returns when the client hangs up
                elif mode == "slow":
                    seen.release.wait()
                    self.request.sendall(answer)
                elif mode == "redirect":
                    self.request.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                                         + location.encode() + b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass
            finally:
                seen.closed.set()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/afterword-topic", seen
    finally:
        seen.closed.set()
        seen.release.set()
        server.shutdown()
        server.server_close()
