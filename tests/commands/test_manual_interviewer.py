"""`add-interviewer` input: exactly one plain "Name <address>", nothing a header could abuse."""

from __future__ import annotations

import pytest

from afterword.daemon.commands.add_interviewer import parse_recipient
from afterword.daemon.errors import UsageError


@pytest.mark.parametrize(("text", "want"), [
    ("Jane Doe <Jane@Acme.com>", ("Jane Doe", "jane@acme.com")),
    ("Doe, Jane <jane@acme.com>", ("Doe, Jane", "jane@acme.com")),
    ('"Doe, Jane" <jane@acme.com>', ("Doe, Jane", "jane@acme.com")),
    ("  Jane   Doe  <jane@acme.com> ", ("Jane Doe", "jane@acme.com")),
    ("jane@acme.com", ("", "jane@acme.com")),
    ("Zoë Müller <zoe@acme.de>", ("Zoë Müller", "zoe@acme.de")),
])
def test_accepted(text: str, want: tuple[str, str]) -> None:
    assert parse_recipient(text) == want


@pytest.mark.parametrize("text", [
    "Jane <jane@acme.com>\r\nBcc: evil@example.net",
    "Jane <jane@acme.com>\nBcc: evil@example.net",
    "Jane <jane@acme.com>\x00",
    "Jane <jane@acme.com>, Bob <bob@acme.com>",
    "jane@acme.com, bob@acme.com",
    "Jane Doe",
    "Jane <jane@acme>",
    "Jane <jane(comment)@acme.com>",
    '"Eve <a@b.com>" <eve@acme.com>',
    "jane@acme.com (Jane)",
    "<jane@acme.com> trailing",
    "Jane <>",
    "",
])
def test_rejected_with_one_line(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_recipient(text)
    assert "\n" not in str(err.value) and err.value.exit_status == 2
