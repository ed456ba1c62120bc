"""Running the Microsoft provider against the fake authority and fake Graph (test helpers).

Test modules import the fixtures `authority`, `graph` and `provider` from here (as
`authority_fixture` etc., so that test parameters do not shadow an imported name).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.config import AccountConfig
from afterword.daemon.runtime.secrets import KeyringSecrets
from afterword.providers.base import AuthOptions, ProviderContext, Window
from afterword.providers.microsoft import MicrosoftOptions
from afterword.providers.microsoft.provider import MicrosoftProvider
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph

ME = "alex@contoso.com"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="authority")
def authority_fixture() -> Iterator[FakeAuthority]:
    with FakeAuthority() as fake:
        fake.add_user(ME, "Alex Rivera")
        yield fake


@pytest.fixture(name="graph")
def graph_fixture(authority: FakeAuthority) -> Iterator[FakeGraph]:
    with FakeGraph(authority) as fake:
        yield fake


def account(authority: FakeAuthority, graph: FakeGraph, name: str = "work",
            **extra: Any) -> AccountConfig:
    """A microsoft account pointing at the fakes."""
    extra.setdefault("calendars", ())
    options = MicrosoftOptions(client_id=authority.client_id,
                               authority=authority.authority_url(), graph_endpoint=graph.base,
                               **extra)
    return AccountConfig(name=name, provider="microsoft", options=options)


def make_provider(authority: FakeAuthority, graph: FakeGraph, clock: Clock | None = None,
                  sleeps: list[float] | None = None, **extra: Any) -> MicrosoftProvider:
    """A provider with the fakes' CA, a recorded sleep and the keyring credential store."""
    seams: dict[str, object] = {"ca_bundle": str(authority.ca_path),
                                "sleep": (sleeps.append if sleeps is not None else
                                          lambda _s: None)}
    if "timeout" in extra:
        seams["timeout"] = extra.pop("timeout")
    context = ProviderContext(timezone=ZoneInfo("Europe/Berlin"),
                              my_emails=("alex@example.com",), secrets=KeyringSecrets(),
                              clock=clock or Clock(NOW), extra=seams)
    return MicrosoftProvider(account(authority, graph, **extra), context)


def sign_in(provider: MicrosoftProvider, authority: FakeAuthority, email: str = ME) -> str:
    """The device code flow, approved as soon as the code is shown."""
    def say(message: str) -> None:
        authority.approve(authority.pending_user_code(), email)
    return provider.authorize(AuthOptions(say=say))


@pytest.fixture(name="provider")
def provider_fixture(authority: FakeAuthority, graph: FakeGraph) -> MicrosoftProvider:
    p = make_provider(authority, graph)
    sign_in(p, authority)
    return p


def window(now: datetime = NOW) -> Window:
    return Window(now - timedelta(days=8), now + timedelta(days=14))


def person(name: str, email: str, kind: str = "required",
           response: str = "accepted") -> dict[str, Any]:
    return {"type": kind, "status": {"response": response, "time": "2026-11-20T10:00:00Z"},
            "emailAddress": {"name": name, "address": email}}


PANEL = [person("Jane Doe", "jane@acme.com"), person("Raj Patel", "raj@acme.com"),
         person("Board Room 4", "room4@acme.com", kind="resource", response="none"),
         person("Alex Rivera", ME)]


def note(key: str, to: str = "Jane Doe <jane@acme.com>", html: bool = False) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = "Thank you for today"
    msg["X-Afterword-Key"] = key
    msg.set_content("Dear Jane,\n\nThank you.\n")
    if html:
        msg.add_alternative("<p>Dear Jane,</p><p>Thank you.</p>", subtype="html")
    return msg
