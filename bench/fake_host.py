"""The fake Google or Graph server in its own process, seeded with a synthetic calendar.

The fakes run apart from the pipeline being measured, so that the pipeline's CPU time and
peak RSS (getrusage of its own process) do not include the servers' work. The parent
talks to the host over a pipe: `call(conn, "counters")` etc.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlencode

from bench import synthetic

ACCOUNT = "bench"


def _google(conn: Connection, n_events: int, n_drafts: int, now: datetime) -> None:
    from tests.fakes.google import CAL_EVENTS_RO, COMPOSE, FakeGoogle

    fake = FakeGoogle(address=synthetic.ME)
    with fake.serve():
        for spec in synthetic.specs(n_events, now):
            fake.put_event(synthetic.google_event(spec))
        refs = []
        for i, key in enumerate(synthetic.draft_keys(ACCOUNT, n_drafts)):
            draft_id, msg = fake.mailbox.create_draft(synthetic.note(key, i).as_bytes())
            refs.append((key, draft_id, msg.thread_id))
        info = {"url": fake.url, "credentials": fake.credentials([CAL_EVENTS_RO, COMPOSE]),
                "refs": refs}

        def counters() -> dict[str, int]:
            with fake.lock:
                return {"requests": len(fake.requests),
                        "bytes": sum(r.bytes_in + r.bytes_out + len(r.path)
                                     + len(urlencode(r.query, doseq=True))
                                     for r in fake.requests)}

        def reset() -> None:
            fake.reset_log()

        def drafts() -> int:
            with fake.lock:
                return len(fake.mailbox.drafts)

        _serve(conn, info, {"counters": counters, "reset": reset, "drafts": drafts,
                            "event": fake.put_event})


def _microsoft(conn: Connection, n_events: int, n_drafts: int, now: datetime) -> None:
    from afterword.providers.microsoft.mail import IMMUTABLE, draft_payload
    from tests.fakes.authority import FakeAuthority
    from tests.fakes.graph import FakeGraph

    with FakeAuthority() as authority, FakeGraph(authority) as graph:
        authority.add_user(synthetic.ME, "Alex Rivera")

        def put_event(spec: synthetic.Spec) -> None:
            name, address = spec.guest
            graph.add_event(synthetic.ME, spec.title, spec.start,
                            int((spec.end - spec.start).total_seconds() // 60),
                            attendees=synthetic.graph_attendees(spec),
                            organizer=(name, address), zone="UTC")

        for spec in synthetic.specs(n_events, now):
            put_event(spec)
        refs = []
        box = graph.mailbox(synthetic.ME)
        with graph.lock:
            for i, key in enumerate(synthetic.draft_keys(ACCOUNT, n_drafts)):
                made = graph._create(box, draft_payload(key.id, synthetic.note(key, i)),
                                     IMMUTABLE)
                refs.append((key, made["id"], made.get("internetMessageId")))
        info = {"graph": graph.base, "authority": authority.authority_url(),
                "client_id": authority.client_id, "ca": str(authority.ca_path), "refs": refs}

        def counters() -> dict[str, int]:
            with graph.lock:
                return {"requests": graph.requests, "bytes": graph.bytes_in + graph.bytes_out}

        def approve() -> None:
            authority.approve(authority.pending_user_code(), synthetic.ME)

        def drafts() -> int:
            return len(graph.messages(synthetic.ME, "drafts"))

        _serve(conn, info, {"counters": counters, "reset": graph.reset_counters,
                            "approve": approve, "drafts": drafts, "event": put_event})


def _serve(conn: Connection, info: dict[str, Any], commands: dict[str, Any]) -> None:
    conn.send(info)
    while True:
        try:
            command = conn.recv()
        except EOFError:
            return
        if command == "stop":  # answered, then the fake shuts down
            conn.send(None)
            return
        name, args = (command[0], command[1:]) if isinstance(command, tuple) else (command, ())
        try:
            conn.send(commands[name](*args))
        except Exception as err:  # reported to the parent, which fails the scenario
            conn.send(RuntimeError(f"{command}: {err!r}"))


def _main(conn: Connection, provider: str, n_events: int, n_drafts: int,
          now: datetime) -> None:
    {"google": _google, "microsoft": _microsoft}[provider](conn, n_events, n_drafts, now)


class FakeHost:
    """A child process serving one fake; a context manager."""

    def __init__(self, provider: str, n_events: int, n_drafts: int, now: datetime) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_main, args=(child, provider, n_events, n_drafts, now),
                                daemon=True)
        self.info: dict[str, Any] = {}

    def __enter__(self) -> FakeHost:
        self.proc.start()
        self.info = self.conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(EOFError, OSError):
            self.call("stop")
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)

    def call(self, command: str | tuple[Any, ...]) -> Any:
        """Run a command (a name, or a tuple of name and arguments) in the host."""
        self.conn.send(command)
        answer = self.conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer
