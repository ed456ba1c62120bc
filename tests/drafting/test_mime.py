"""Safe MIME: untrusted names, titles and addresses never shape the message's headers."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from zoneinfo import ZoneInfo

import pytest

from afterword.daemon.drafting.mime import KEY_HEADER, RenderedNote, build_message, valid_address
from afterword.daemon.errors import TemplateError

NOW = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
EXPECTED_HEADERS = {"to", "from", "subject", "date", "message-id", "x-afterword-key",
                    "mime-version", "content-type", "content-transfer-encoding"}


def build(to_name: str = "Jane Doe", to_address: str = "jane@acme.example",
          subject: str = "Thank you", text: str = "Hi Jane,\n\nThanks.\n",
          html: str | None = None, from_name: str = "Alex Rivera") -> bytes:
    """The bytes a mailbox would store for one draft."""
    message = build_message(
        RenderedNote(subject, text, html), key="0123456789abcdef", to_name=to_name,
        to_address=to_address, from_name=from_name, from_address="alex@example.com",
        now=NOW, zone=ZoneInfo("Europe/Berlin"))
    return message.as_bytes()


def parse(raw: bytes) -> EmailMessage:
    """Parse stored bytes the way a mail client would."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header_block(raw: bytes) -> bytes:
    """The top-level header lines (unfolded bytes as stored)."""
    return raw.split(b"\r\n\r\n", 1)[0]


def recipients(message: EmailMessage) -> list[str]:
    """Every address in To, Cc and Bcc."""
    values = [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
    return [addr for _, addr in getaddresses(values)]


INJECTIONS = [
    "Jane\r\nBcc: x@evil.example",
    "Jane\nBcc: x@evil.example",
    "Jane\rBcc: x@evil.example",
    "Jane\u2028Bcc: x@evil.example",
    "Jane\u2029Bcc: x@evil.example",
    "Jane\u0085Bcc: x@evil.example",
    "Jane\x00\x0bBcc: x@evil.example",
    "Jane\r\n\r\nBcc: x@evil.example",
    "=?utf-8?q?Jane=0D=0ABcc:_x@evil.example?=",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_a_name_cannot_inject_headers_or_recipients(name: str) -> None:
    raw = build(to_name=name, from_name=name, subject=f"Thank you {name}")
    headers = header_block(raw)
    assert b"\r\nBcc:" not in raw and b"\r\nbcc:" not in raw.lower().replace(b"=", b"")
    assert not any(line.lower().startswith(b"bcc") for line in headers.split(b"\r\n"))
    message = parse(raw)
    assert {k.lower() for k, _ in message.items()} <= EXPECTED_HEADERS
    assert recipients(message) == ["jane@acme.example"]
    assert message["Bcc"] is None and message["Cc"] is None
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])


@pytest.mark.parametrize("title", INJECTIONS)
def test_a_subject_from_an_invite_title_stays_one_header(title: str) -> None:
    message = parse(build(subject=title))
    assert {k.lower() for k, _ in message.items()} <= EXPECTED_HEADERS
    assert len(message.get_all("Subject", [])) == 1
    assert recipients(message) == ["jane@acme.example"]


@pytest.mark.parametrize("name", [
    '"ceo@bank.example" <ceo@bank.example>',
    "ceo@bank.example",
    "Jane <x@evil.example>",
    "Jane, x@evil.example",
    "Jane Doe <jane@acme.example>, Bob <x@evil.example>",
])
def test_display_name_tricks_are_dropped_and_add_no_recipient(name: str) -> None:
    message = parse(build(to_name=name))
    assert recipients(message) == ["jane@acme.example"]
    to = message["To"]
    assert to.addresses[0].display_name == ""
    assert "evil" not in str(to) and "bank" not in str(to)


def test_encoded_words_in_untrusted_text_are_not_decoded_into_headers() -> None:
    # Without care, Python's header parser decodes this into "Jane\r\nBcc: ..." *after*
    # the policy's CR/LF check, and the generator writes a real Bcc header.
    name = "=?utf-8?q?Jane=0D=0ABcc:_x@evil.example?="
    raw = build(to_name=name, subject=name)
    assert b"\r\nBcc:" not in raw
    message = parse(raw)
    assert recipients(message) == ["jane@acme.example"]
    assert "= ?utf-8?q?Jane=0D=0ABcc" in str(message["Subject"])


def test_specials_in_names_are_quoted_not_interpreted() -> None:
    message = parse(build(to_name="Smith; (John) Jr."))
    assert recipients(message) == ["jane@acme.example"]
    assert message["To"].addresses[0].display_name == "Smith; (John) Jr."


def test_invisible_direction_overrides_are_removed_from_names() -> None:
    message = parse(build(to_name="Jane \u202eelpmaxe.live\u202c Doe\u200b"))
    assert message["To"].addresses[0].display_name == "Jane elpmaxe.live Doe"


@pytest.mark.parametrize("address", [
    "jane@acme.example\r\nBcc: x@evil.example",
    "jane@acme.example, x@evil.example",
    "Jane <jane@acme.example>",
    "<jane@acme.example>",
    "jane@acme.example\n",
    "a@b@acme.example",
    '"jane doe"@acme.example',
    "jane@localhost",
    "jane@-acme.example",
    "jane..doe@acme.example",
    ".jane@acme.example",
    "jané@acme.example",
    "jane@acme.example\u2028",
    "x" * 65 + "@acme.example",
    "",
])
def test_only_plain_addresses_become_recipients(address: str) -> None:
    assert not valid_address(address)
    with pytest.raises(TemplateError, match="not a valid recipient address"):
        build(to_address=address)


@pytest.mark.parametrize("address", ["jane@acme.example", "jane.doe+jobs@mail.acme.co.uk",
                                     "o'brien@acme.example", "j_d-1@sub-1.acme.io"])
def test_ordinary_addresses_are_accepted(address: str) -> None:
    assert valid_address(address)
    assert recipients(parse(build(to_address=address))) == [address]


def test_non_ascii_names_use_rfc2047_and_bytes_are_ascii() -> None:
    raw = build(to_name="Zoë Łukasiewicz", from_name="Renée Ünal", subject="Merci — Société")
    raw.decode("ascii")
    headers = header_block(raw)
    assert b"=?utf-8?" in headers
    message = parse(raw)
    assert message["To"].addresses[0].display_name == "Zoë Łukasiewicz"
    assert message["From"].addresses[0].display_name == "Renée Ünal"
    assert message["Subject"] == "Merci — Société"


def test_very_long_names_and_subjects_are_capped_and_folded() -> None:
    raw = build(to_name="Jane " + "Ö" * 5000, subject="Thank you " + "é" * 5000)
    for line in header_block(raw).split(b"\r\n"):
        assert len(line) <= 78
    message = parse(raw)
    assert recipients(message) == ["jane@acme.example"]
    # (Python's parser shows a space between the folded encoded-words; mail clients do not.)
    shown = message["To"].addresses[0].display_name
    assert len(shown.replace(" ", "")) <= 100
    assert len(str(message["Subject"])) <= 250


def test_every_draft_has_a_message_id_and_the_key_header() -> None:
    message = parse(build())
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(
        "@example.com>")
    assert message[KEY_HEADER] == "0123456789abcdef"
    assert message["Date"] == "Tue, 03 Mar 2026 12:00:00 +0100"
    other = parse(build())
    assert other["Message-ID"] != message["Message-ID"]


def test_a_bad_key_or_an_empty_note_is_refused() -> None:
    with pytest.raises(TemplateError, match="draft key"):
        build_message(RenderedNote("s", "t", None), key="x\r\nBcc: y", to_name="J",
                      to_address="j@acme.example", from_name="A",
                      from_address="alex@example.com", now=NOW, zone=UTC)
    with pytest.raises(TemplateError, match="empty"):
        build(subject="\r\n")
    with pytest.raises(TemplateError, match="empty"):
        build(text=" \n")


def test_body_text_cannot_reach_the_headers() -> None:
    raw = build(text="Hi\r\n\r\nBcc: x@evil.example\r\nTo: y@evil.example\r\n",
                html="<p>Bcc: x@evil.example</p>")
    message = parse(raw)
    assert recipients(message) == ["jane@acme.example"]
    assert b"Bcc: x@evil" not in header_block(raw)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and "Bcc: x@evil.example" in plain.get_content()
