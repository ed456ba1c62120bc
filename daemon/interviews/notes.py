"""The user's own notes in an event description, for the thank-you note to use.

A `Notes:` line starts the section; it runs to the next blank line or the next heading
("Agenda:"). A line `Jane: the data pipeline migration` whose head names an interviewer
(first name, full name, last name or address) becomes that interviewer's notes; every
other line is a general note for the interview:

    Notes:
    Jane: the data pipeline migration
    - Priya Raman: how her team runs on-call
    They are moving to Kubernetes next quarter.

Descriptions may be HTML (Google and Outlook store them so); tags are dropped first.
Pure functions: no I/O.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace

from afterword.daemon.model import Interview, Interviewer

_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?P<head>[^\W\d_][\w .'/&@+-]{0,60}?)\s*:(?!//)\s*(?P<rest>.*)$")
_NOTES_HEADS = {"notes", "note", "my notes"}
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_TAG = re.compile(r"<[^>]{0,500}>")
_BREAK_TAGS = re.compile(r"<\s*(?:br|/p|/div|/li|li|p|div)\b[^>]{0,200}>", re.IGNORECASE)
NOTE_LIMIT = 300  # per line: a description is written by whoever sent the invite


@dataclass(frozen=True)
class NoteLine:
    """One line of the Notes section: who it is about (as written, or "") and the text."""

    who: str
    text: str
    line: str = ""  # the whole line, as written


def plain_text(description: str) -> str:
    """The description as plain lines (HTML breaks become newlines, tags dropped)."""
    if "<" in description and ">" in description:
        description = _TAG.sub("", _BREAK_TAGS.sub("\n", description))
    return html.unescape(description).replace("\r\n", "\n").replace("\r", "\n")


def parse_notes(description: str) -> list[NoteLine]:
    """The lines of the description's `Notes:` section (empty if it has none)."""
    lines: list[NoteLine] = []
    inside = False
    for raw in plain_text(description).split("\n"):
        line = " ".join(raw.split())
        heading = _HEADING.match(line)
        if not inside:
            if heading and heading["head"].casefold() in _NOTES_HEADS:
                inside = True
                if heading["rest"]:
                    lines.append(_note_line(heading["rest"]))
            continue
        if not line:
            if lines:
                break
            continue
        if heading and not heading["rest"]:
            break  # the next section's heading
        lines.append(_note_line(line))
    return [n for n in lines if n.text]


def _note_line(line: str) -> NoteLine:
    line = _BULLET.sub("", line)
    head = _HEADING.match(line)
    if head and head["rest"]:
        return NoteLine(head["head"].strip(), _cap(head["rest"]), _cap(line))
    return NoteLine("", _cap(line), _cap(line))


def _cap(text: str) -> str:
    text = text.strip()
    return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1].rstrip() + "…"


def match_person(who: str, people: tuple[Interviewer, ...]) -> Interviewer | None:
    """The one interviewer `who` names (full name, first, last, address), or None."""
    key = who.casefold().strip()
    if not key:
        return None
    for attrs in (("name", "email"), ("first_name",), ("last_name",)):
        found = [p for p in people if any(
            (getattr(p, a) or "").casefold() == key for a in attrs)]
        if not found and attrs == ("name", "email"):
            found = [p for p in people if p.email and p.email.split("@")[0].casefold() == key]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None  # two Janes: a bare first name cannot say which
    return None


def apply_notes(interview: Interview, description: str) -> Interview:
    """`interview` with the description's notes on its interviewers and itself."""
    lines = parse_notes(description)
    if not lines:
        return interview
    personal: dict[int, list[str]] = {}
    general: list[str] = []
    for line in lines:
        person = match_person(line.who, interview.interviewers)
        if person is None:
            general.append(line.line or line.text)
        else:
            personal.setdefault(id(person), []).append(line.text)
    people = tuple(
        replace(p, notes="; ".join(filter(None, [p.notes, *personal[id(p)]])))
        if id(p) in personal else p
        for p in interview.interviewers)
    notes = " ".join(filter(None, [interview.notes, *general]))
    return replace(interview, interviewers=people, notes=notes)
