"""A loopback HTTP relay in front of Radicale that injects faults at the wire.

Every request is passed to Radicale as it came and its answer passed back, unless a fault
is armed: answer with a status (503, 500) without asking Radicale, drop the connection
without an answer, or rewrite the answer's body (a calendar object the server sends
broken). Radicale itself refuses malformed objects on PUT and skips them on disk, so a
malformed object can only reach a client this way.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Faults:
    """What the relay does to the next requests (of `method`, when set)."""

    method: str = ""  # only requests with this method are faulted; "" = every request
    status: list[int] = field(default_factory=list)  # answer these, one per request
    retry_after: str | None = None  # sent with those statuses
    drop: int = 0  # requests answered by closing the connection
    slow: int = 0  # requests answered only after `delay` seconds
    delay: float = 0.0
    malformed: int = 0  # requests answered 207 with a body that is not XML
    rewrite: tuple[bytes, bytes] | None = None  # (old, new) in every answer body
    seen: list[str] = field(default_factory=list)  # "METHOD /path" of every request

    def clear(self) -> None:
        """No more faults (what was seen is kept)."""
        self.method, self.status, self.retry_after = "", [], None
        self.drop = self.slow = self.malformed = 0
        self.rewrite = None


class HttpRelay:
    """Listens on a free loopback port and relays to `target_port`."""

    def __init__(self, target_port: int) -> None:
        self.faults = Faults()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                faults = relay.faults
                faults.seen.append(f"{self.command} {self.path}")
                hit = not faults.method or faults.method == self.command
                if hit and faults.drop:
                    faults.drop -= 1
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(2)
                    return
                if hit and faults.malformed:
                    faults.malformed -= 1
                    self._answer(207, b"<?xml version='1.0'?><multistatus><resp")
                    return
                if hit and faults.status:
                    status = faults.status.pop(0)
                    self.send_response(status)
                    if faults.retry_after:
                        self.send_header("Retry-After", faults.retry_after)
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    return
                if hit and faults.slow:
                    faults.slow -= 1
                    time.sleep(faults.delay)  # the client gave up before this answer
                upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive", "accept-encoding")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if faults.rewrite:
                    data = data.replace(*faults.rewrite)
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding",
                                           "content-encoding", "keep-alive"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)
                self.close_connection = True

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_OPTIONS = _relay
            do_PROPPATCH = do_MKCALENDAR = do_MKCOL = do_POST = do_HEAD = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def http_relay(port: int) -> Iterator[HttpRelay]:
    """An HttpRelay in front of `port`, closed afterwards."""
    relay = HttpRelay(port)
    try:
        yield relay
    finally:
        relay.close()
