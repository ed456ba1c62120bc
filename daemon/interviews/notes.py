"""The user's own notes in an event description, for the thank-you note to use.

A `Notes:` line starts the section; it runs to the next blank line or the next heading
("Agenda:"). A line `Jane: the data pipeline migration` whose head names an interviewer
(first name, full name, last name or address) becomes that interviewer's notes; every
other line is a general note for the interview:

    Notes:
    Jane: the data pipeline migration
    - Priya Raman: how her team runs on-call
    They are moving to Kubernetes next quarter.

The section is found while `description.parse` reads the description (once, as text):
this module is the one Notes parser it calls. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from afterword.daemon.model import Interview, Interviewer

_HEADING = re.compile(
    r"^\s*(?:[#*_]+\s*)?(?P<head>[^\W\d_][\w .'/&@+-]{0,60}?)\s*[*_]*:(?!//)\s*(?P<rest>.*)$")
_NOTES_HEADS = {"notes", "note", "my notes", "additional notes"}
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
NOTE_LIMIT = 300  # per line: a description is written by whoever sent the invite


@dataclass(frozen=True)
class NoteLine:
    """One line of the Notes section: who it is about (as written, or "") and the text."""

    who: str
    text: str
    line: str = ""  # the whole line, as written


def starts_notes(line: str) -> bool:
    """The line opens the Notes section ("Notes:", "My notes: ...")."""
    heading = _HEADING.match(" ".join(line.split()))
    return bool(heading and heading["head"].casefold() in _NOTES_HEADS)


def collect(lines: Sequence[str], i: int) -> tuple[list[NoteLine], int]:
    """The section opened at `lines[i]` (see `starts_notes`) and the index after it.

    It runs to the first blank line after some content, or to the next heading with
    nothing after its colon ("Agenda:").
    """
    found: list[NoteLine] = []
    heading = _HEADING.match(" ".join(lines[i].split()))
    if heading and heading["rest"]:
        found.append(note_line(heading["rest"]))
    i += 1
    while i < len(lines):
        line = " ".join(lines[i].split())
        if not line:
            if found:
                break
            i += 1
            continue
        head = _HEADING.match(line)
        if head and not head["rest"]:
            break  # the next section's heading
        found.append(note_line(line))
        i += 1
    return [n for n in found if n.text], i


def note_line(line: str) -> NoteLine:
    """One line of notes: "Jane: the pipeline" is Jane's, anything else everyone's."""
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


def apply_notes(interview: Interview, lines: Sequence[NoteLine]) -> Interview:
    """`interview` with the description's notes (`DescriptionInfo.notes`) on its
    interviewers and itself."""
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
