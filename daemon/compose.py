"""Templates → one `EmailMessage` per interviewer, safe to put in a mailbox.

A template is one Jinja2 file with `{% block subject %}`, `{% block text %}` and an
optional `{% block html %}`; it renders in a sandbox with StrictUndefined, so a missing
variable is an error, never a blank in a draft. Everything taken from an invite is
untrusted: header values are stripped of control characters and addresses validated.
"""

from __future__ import annotations

import email.policy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cached_property
from pathlib import Path
from typing import Any

import afterword.templates
from afterword.daemon.config import Config
from afterword.daemon.errors import TemplateError
from afterword.daemon.model import Interview, Interviewer

KEY_HEADER = "X-Afterword-Key"
PACKAGED_TEMPLATES = Path(afterword.templates.__file__).resolve().parent
# SMTP policy: CRLF line ends, and it refuses CR/LF inside header values.
POLICY = email.policy.SMTP.clone(raise_on_defect=True)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class RenderedNote:
    """A rendered template: the parts of one email."""

    subject: str
    text: str
    html: str | None


def header_safe(value: str, limit: int = 200) -> str:
    """One line of text fit for a header: control characters become spaces, length capped."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def valid_address(address: str | None) -> bool:
    """A plain addr-spec (no display name, no comments, no list)."""
    return bool(address) and len(address or "") <= 254 and bool(_ADDRESS.match(address or ""))


class Templates:
    """Loads templates from the user's folder first, then the packaged ones."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir

    @cached_property
    def env(self) -> Any:
        """The sandboxed Jinja2 environment (imported lazily: the idle daemon never needs it)."""
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        loaders = [FileSystemLoader(str(d)) for d in (self.user_dir, PACKAGED_TEMPLATES) if d]
        return SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, context: Mapping[str, Any]) -> RenderedNote:
        """Render template `name` (file `<name>.j2`); TemplateError names file and line."""
        from jinja2 import TemplateError as JinjaError
        from jinja2 import TemplateSyntaxError
        from markupsafe import escape

        filename = f"{name}.j2"
        try:
            template = self.env.get_template(filename)
            blocks = template.blocks
            for required in ("subject", "text"):
                if required not in blocks:
                    raise TemplateError(f"template {filename}: no {{% block {required} %}}")
            ctx = template.new_context(dict(context))
            subject = "".join(blocks["subject"](ctx))
            text = "".join(blocks["text"](ctx))
            html = None
            if "html" in blocks:
                html_ctx = template.new_context(
                    {**context, "e": escape, "autoescape": True})
                html = "".join(blocks["html"](html_ctx))
        except TemplateSyntaxError as err:
            raise TemplateError(
                f"template {err.filename or filename}, line {err.lineno}: {err.message}"
            ) from err
        except JinjaError as err:
            raise TemplateError(f"template {filename}{_line_of(err)}: {err}") from err
        return RenderedNote(subject=header_safe(subject, 250), text=_tidy(text),
                            html=html.strip() + "\n" if html and html.strip() else None)


def _line_of(err: BaseException) -> str:
    # Jinja reports runtime errors with a traceback frame pointing into the template.
    tb = err.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def note_context(config: Config, interview: Interview, interviewer: Interviewer,
                 now: datetime) -> dict[str, Any]:
    """The variables a template sees for one interviewer of one interview."""
    zone = config.me.timezone
    start, end = interview.start.astimezone(zone), interview.end.astimezone(zone)
    me_email = config.me.emails[0] if config.me.emails else ""
    return {
        "interviewer": {
            "name": interviewer.name,
            "first_name": interviewer.first_name or interviewer.name,
            "last_name": interviewer.last_name,
            "title": interviewer.title,
            "salutation": salutation(interviewer),
            "email": interviewer.email or "",
            "role": interviewer.role,
            "needs_check": interviewer.needs_check,
            "notes": interviewer.notes,
        },
        "interview": {
            "title": interview.title,
            "company": interview.company,
            "role": interview.role,
            "start": start,
            "end": end,
            "when": when_phrase(start, now.astimezone(zone)),
            "day": start.strftime("%A"),
            "location": interview.location,
            "video_link": interview.video_link,
            "notes": interview.notes,
            "panel": [
                {"name": p.name, "first_name": p.first_name or p.name, "role": p.role}
                for p in interview.interviewers if p.email != interviewer.email
            ],
        },
        "me": {
            "name": config.me.name,
            "email": me_email,
            "signature": config.me.signature or config.me.name,
            "links": list(config.me.links),
        },
        "vars": dict(config.drafts.vars),
    }


def salutation(person: Interviewer) -> str:
    """How to greet them: "Dr. Raman" when a title is known, else the first name."""
    if person.title and person.last_name:
        return f"{person.title} {person.last_name}"
    return person.first_name or person.name


def when_phrase(start: datetime, now: datetime) -> str:
    """ "this morning", "this afternoon", "yesterday", "on Tuesday", "on 3 March"."""
    days = (now.date() - start.date()).days
    if days == 0:
        part = "morning" if start.hour < 12 else "afternoon" if start.hour < 17 else "evening"
        return "today" if now < start else f"this {part}"
    if days == 1:
        return "yesterday"
    if 1 < days < 7:
        return f"on {start:%A}"
    return f"on {start.day} {start:%B}"


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
    msg = EmailMessage(policy=POLICY)
    msg["To"] = Address(display_name=header_safe(to_name, 100), addr_spec=to_address)
    if valid_address(from_address):
        msg["From"] = Address(display_name=header_safe(from_name, 100), addr_spec=from_address)
    msg["Subject"] = header_safe(note.subject, 250)
    msg["Date"] = format_datetime(now.astimezone(zone))
    domain = from_address.rsplit("@", 1)[1] if valid_address(from_address) else "afterword"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg[KEY_HEADER] = key
    msg.set_content(note.text, cte="quoted-printable")
    if note.html:
        msg.add_alternative(note.html, subtype="html", cte="quoted-printable")
    return msg
