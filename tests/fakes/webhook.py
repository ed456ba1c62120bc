"""A loopback HTTP receiver that records every POST (for the webhook reminder channel)."""

from __future__ import annotations

import json
import threading
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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[Any]:
        """The decoded JSON bodies, in order."""
        with self.lock:
            return [p["json"] for p in self.posts]


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Recorded]]:
    """A running receiver: (its URL, what it recorded)."""
    recorded = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with recorded.lock:
                recorded.posts.append({"path": self.path, "headers": dict(self.headers),
                                       "json": body})
            self.send_response(recorded.status)
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
