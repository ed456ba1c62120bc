"""The HTTP side of the fake Graph: parsing, faults, counters, JSON batching."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from tests.fakes.graph import FakeGraph

_CODES = {429: "TooManyRequests", 503: "ServiceUnavailable", 504: "GatewayTimeout",
          500: "InternalServerError", 502: "BadGateway", 404: "ErrorItemNotFound",
          403: "ErrorAccessDenied", 410: "syncStateNotFound"}

class GraphReply(Exception):
    """An error answer."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}



def handler(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    """The request handler class serving `fake`."""
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _record(self, status: int, size: int) -> None:
            # Counted before the answer is written: once the client has read it, the test
            # that asked may reset the counters, and a late count would land after that.
            with fake.lock:
                fake.bytes_out += size
                self.entry["status"] = status
                self.entry["bytes"] = size

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self._record(status, len(data))
            self.send_response(status)
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up waiting (a slow-answer fault)

        def _send_raw(self, status: int, data: bytes) -> None:
            self._record(status, 0)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            path = unquote(split.path)
            query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            prefer = self.headers.get("Prefer") or ""
            with fake.lock:
                fake.requests += 1
                fake.bytes_in += len(raw) + len(self.path)
                self.entry: dict[str, Any] = {"method": method,
                                              "path": path.removeprefix("/v1.0"),
                                              "query": query, "prefer": prefer, "status": None}
                fake.log.append(self.entry)
            if not path.startswith("/v1.0/"):
                self._reply(404, {"error": {"code": "NotFound", "message": "no such version"}})
                return
            path = path[len("/v1.0"):]
            fault = fake.take_fault(method, path, in_batch=False, query=unquote(split.query))
            if fault and fault.drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status:
                headers = {"Retry-After": f"{fault.retry_after:g}"} \
                    if fault.retry_after is not None else {}
                self._reply(fault.status, {"error": {"code": fault.code or _CODES.get(
                    fault.status, "BadRequest"), "message": "injected fault"}}, headers)
                return
            try:
                email = fake.user_of(self.headers)
                body = json.loads(raw) if raw else None
                if method == "POST" and path == "/$batch":
                    status, answer = 200, self._batch(body, email)
                else:
                    status, answer = fake.route(method, path, query, prefer, body, email)
            except GraphReply as err:
                self._reply(err.status, {"error": {"code": err.code, "message": err.message}},
                            err.headers)
                return
            except ValueError:
                self._reply(400, {"error": {"code": "BadRequest", "message": "bad JSON"}})
                return
            if fault and fault.user_deletes_after_apply and isinstance(answer, dict) \
                    and answer.get("id"):
                # Created; the user deleted it (to Deleted Items) before we heard back.
                fake.user_deletes(email, str(answer["id"]))
            if fault and (fault.drop_after_apply or fault.user_deletes_after_apply):
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault and fault.malformed:
                self._send_raw(status, b'{"value": [{"id": "AAMkAD')
                return
            self._reply(status, answer)

        def _batch(self, body: Any, email: str) -> dict[str, Any]:
            items = (body or {}).get("requests")
            if not isinstance(items, list) or not 0 < len(items) <= 20:
                raise GraphReply(400, "BadRequest", "A batch holds 1 to 20 requests.")
            answers = []
            for item in items:
                url = str(item.get("url", ""))
                split = urlsplit(url)
                path = unquote(split.path)
                query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
                prefer = str((item.get("headers") or {}).get("Prefer", ""))
                with fake.lock:
                    fake.batch_log.append({"method": str(item.get("method", "")).upper(),
                                           "path": path, "query": query, "prefer": prefer})
                fault = fake.take_fault(str(item.get("method", "")).upper(), url, in_batch=True,
                                        query=unquote(split.query))
                try:
                    if fault and fault.status:
                        raise GraphReply(fault.status, fault.code or _CODES.get(
                                             fault.status, "BadRequest"),
                                         "injected item fault",
                                         {"Retry-After": f"{fault.retry_after:g}"}
                                         if fault.retry_after is not None else {})
                    status, answer = fake.route(str(item.get("method", "")).upper(), path,
                                                query, prefer, item.get("body"), email)
                    answers.append({"id": item.get("id"), "status": status,
                                    "headers": {"Content-Type": "application/json"},
                                    "body": answer})
                except GraphReply as err:
                    answers.append({"id": item.get("id"), "status": err.status,
                                    "headers": err.headers,
                                    "body": {"error": {"code": err.code,
                                                       "message": err.message}}})
            answers.reverse()  # Graph answers in any order: clients match by id
            return {"responses": answers}

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler
