"""Rendered notes → `EmailMessage` drafts that are safe to put in a mailbox.

Every name, title and description comes from a calendar invite, i.e. from a stranger.
Header values are reduced to one line of visible text, addresses are validated as plain
addr-specs, display names that look like addresses are dropped, and the finished message
is parsed back to prove it has exactly one recipient and no header we did not write.
"""

from __future__ import annotations

import email.policy
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid

from afterword.daemon.errors import CONTROL_CHARS, TemplateError
from afterword.daemon.model import KEY_HEADER

# SMTP policy: CRLF line ends, and it refuses CR/LF inside header values.
POLICY = email.policy.SMTP.clone(raise_on_defect=True)
# Invisible characters that reorder or hide text: a spoofed name must look like what it is.
_INVISIBLE = re.compile(r"[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,63}})$")
_KEY = re.compile(r"^[0-9a-f]{8,64}$")
_LOOKS_LIKE_ADDRESS = re.compile(r"\S@\S|<|>")
NAME_LIMIT = 100
SUBJECT_LIMIT = 250


@dataclass(frozen=True)
class RenderedNote:
    """A rendered template: the parts of one email."""

    subject: str
    text: str
    html: str | None


def header_safe(value: str, limit: int = 200) -> str:
    """One line of visible text fit for a header: breaks become spaces, length capped."""
    text = _INVISIBLE.sub("", CONTROL_CHARS.sub(" ", unicodedata.normalize("NFC", value)))
    # The header parser decodes RFC 2047 encoded-words in values we set, so a name like
    # "=?utf-8?q?Jane=0D=0ABcc:...?=" would become a CR/LF after the policy's check: no
    # untrusted text may contain the start of an encoded-word.
    text = " ".join(text.split()).replace("=?", "= ?")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def display_name(name: str) -> str:
    """A safe display name: one line, and never something that looks like an address."""
    clean = header_safe(name, NAME_LIMIT)
    # "ceo@bank.example <x>" as a name would show the reader a different sender/recipient.
    if _LOOKS_LIKE_ADDRESS.search(clean):
        return ""
    return clean.replace('"', "").replace("\\", "")


def valid_address(address: str | None) -> bool:
    """A plain ASCII addr-spec (no display name, comments, lists or quoted local part)."""
    if not address or len(address) > 254:
        return False
    match = _ADDRESS.fullmatch(address)
    return match is not None and len(match["local"]) <= 64


def build_message(
    note: RenderedNote,
    *,
    key: str,
    to_name: str,
    to_address: str,
    from_name: str,
    from_address: str,
    now: datetime,
    zone: tzinfo,
) -> EmailMessage:
    """A complete draft: one recipient, our key header, a Message-ID; no header injection."""
    if not valid_address(to_address):
        raise TemplateError(f"not a valid recipient address: {header_safe(to_address, 80)!r}")
    if not _KEY.match(key):
        raise TemplateError(f"not a valid draft key: {header_safe(key, 80)!r}")
    subject = header_safe(note.subject, SUBJECT_LIMIT)
    if not subject or not note.text.strip():
        raise TemplateError("the template rendered an empty subject or body")
    msg = EmailMessage(policy=POLICY)
    msg["To"] = Address(display_name=display_name(to_name), addr_spec=to_address)
    if valid_address(from_address):
        msg["From"] = Address(display_name=display_name(from_name), addr_spec=from_address)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now.astimezone(zone))
    domain = from_address.rsplit("@", 1)[1] if valid_address(from_address) else "afterword.invalid"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg[KEY_HEADER] = key
    msg.set_content(note.text, cte="quoted-printable")
    if note.html:
        msg.add_alternative(note.html, subtype="html", cte="quoted-printable")
    _verify(msg, to_address)
    return msg


_EXPECTED_HEADERS = {"to", "from", "subject", "date", "message-id", KEY_HEADER.lower(),
                     "mime-version", "content-type", "content-transfer-encoding"}


def _verify(msg: EmailMessage, to_address: str) -> None:
    """Parse the bytes back: exactly our headers and exactly one recipient, or no draft."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(msg.as_bytes())
    names = [name.lower() for name, _ in parsed.items()]
    unexpected = sorted(set(names) - _EXPECTED_HEADERS)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    recipients = getaddresses([str(v) for v in parsed.get_all("to", [])])
    if (unexpected or duplicated or len(recipients) != 1
            or recipients[0][1].lower() != to_address.lower()):
        raise TemplateError(
            "refusing to draft: the message did not come out with exactly one recipient "
            f"and the expected headers ({', '.join(unexpected + duplicated) or 'recipients'})")
