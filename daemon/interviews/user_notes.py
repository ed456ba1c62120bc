"""The user's own notes (`afterword note`) read and merged into an interview.

A note line reads like a line of an invite's `Notes:` section and is split by the same
parser: `Jane: the data pipeline migration` is Jane's, anything else is for the whole
interview. Unlike an invite's line, a note meant for someone who is not (yet) on the panel
is held back rather than told to everyone: one person's detail never reaches another's
draft. Pure functions: no I/O.
"""

from __future__ import annotations

from dataclasses import replace

from afterword.daemon.interviews.notes import NOTE_LIMIT, match_person, note_line
from afterword.daemon.model import Interview, Interviewer, UserNote


def read_lines(text: str, who: str = "") -> list[UserNote]:
    """The notes in `text`, one per non-blank line; `who` (from `--for`) owns them all,
    else a line's own head does ("Jane: ...")."""
    notes = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if who:
            notes.append(UserNote(who, _capped(line)))
            continue
        # Each line is read as the invite parser reads one line of a Notes: section.
        parsed = note_line(line)
        notes.append(UserNote(parsed.who, parsed.text) if parsed.text
                     else UserNote("", _capped(line)))
    return notes


def _capped(line: str) -> str:
    """As long as an invite's note line may be."""
    return line if len(line) <= NOTE_LIMIT else line[: NOTE_LIMIT - 1].rstrip() + "…"


def owner(note: UserNote, interview: Interview) -> Interviewer | None:
    """The interviewer a note is for (None: the whole interview, or nobody on the panel)."""
    return match_person(note.who, interview.interviewers) if note.who else None


def held(interview: Interview, notes: list[UserNote]) -> list[UserNote]:
    """Notes for someone who is not on the panel (yet): used by no draft until they are."""
    return [n for n in notes if n.who and owner(n, interview) is None]


def merge(interview: Interview, notes: list[UserNote]) -> Interview:
    """`interview` with the user's notes after the invite's: each person's to that person
    (`interviewer.notes`), the rest to `interview.notes`."""
    if not notes:
        return interview
    personal: dict[int, list[str]] = {}
    general: list[str] = []
    for note in notes:
        person = owner(note, interview)
        if person is not None:
            personal.setdefault(id(person), []).append(note.text)
        elif not note.who:
            general.append(note.text)
    people = tuple(
        replace(p, notes="; ".join(filter(None, [p.notes, *personal[id(p)]])))
        if id(p) in personal else p
        for p in interview.interviewers)
    return replace(interview, interviewers=people,
                   notes=" ".join(filter(None, [interview.notes, *general])))
