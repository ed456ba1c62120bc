"""`afterword note EVENT_ID TEXT`: what you remember of an interview, for its notes.

The notes are kept in the state and merged with the invite's `Notes:` section when the
interview is planned (daemon/interviews/user_notes.py), so the templates see them as
`interviewer.notes` and `interview.notes` exactly like the invite's. The interview is
re-planned at once: `status`, `preview` and `explain` show the notes straight away, and
with `drafts.wait_for_notes` the next cycle drafts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from afterword.daemon.commands.which import find_interview, live_account, replan
from afterword.daemon.config import Config
from afterword.daemon.errors import UsageError
from afterword.daemon.interviews import user_notes
from afterword.daemon.interviews.notes import match_person
from afterword.daemon.model import DraftState, Interview, Interviewer, UserNote
from afterword.daemon.reminders.capture import interview_name
from afterword.daemon.runtime.cycle import Cycle

WHOLE = "the whole interview"


@dataclass(frozen=True)
class Noted:
    """What `note` did: the interview as re-planned, and each note with whom it is for."""

    interview: Interview
    lines: list[tuple[str, str]]  # (for whom, as people read it; the text)
    drafts_made: int  # drafts waiting in Drafts, written before this note (without it)
    drafts_closed: int  # drafts already sent, deleted or dismissed


def run_note(cycle: Cycle, event_id: str, text: str | None, who: str, show: bool,
             clear: bool, now: datetime) -> list[str]:
    """What `afterword note` does and prints: add (TEXT), `--show` or `--clear`."""
    if show + clear + (text is not None) != 1:
        raise UsageError("give the note's TEXT (or - to read it from stdin), --show or --clear")
    if show:
        return show_notes(cycle, event_id, now)
    if clear:
        interview, removed = clear_notes(cycle, event_id, who, now)
        return [f"removed {removed} note(s) of yours from {interview.title!r}"
                + ("" if removed else " (notes in the invite stay: edit the event)")]
    assert text is not None
    return describe(add_note(cycle, event_id, text, who, now), cycle.config, now)


def add_note(cycle: Cycle, event_id: str, text: str, who: str, now: datetime) -> Noted:
    """Keep the notes in `text` (one per line; all for `who` when given)."""
    interview = find_interview(cycle.store, event_id, now)
    account = live_account(cycle.config, interview)
    notes = user_notes.read_lines(text, who.strip())
    if not notes:
        raise UsageError("nothing to note: the text is empty")
    kept, lines = [], []
    for note in notes:
        person = user_notes.owner(note, interview)
        if person is None and note.who and interview.interviewers:
            raise UsageError(_not_on_panel(note.who, interview, from_option=bool(who.strip())))
        if person is not None:
            # Stored by address when there is one: a name may change, the address not.
            note = UserNote(person.email or person.name, note.text)
        kept.append(note)
        lines.append((_whom(note, person), note.text))
    with cycle.store.transaction():
        cycle.store.add_user_notes(account.name, interview.event_id, kept, now)
        updated = replan(cycle, account, interview, now)
    states = [d.state for d in cycle.store.drafts_for_event(account.name, interview.event_id)]
    return Noted(updated, lines, states.count(DraftState.DRAFTED),
                 sum(1 for s in states if s.is_final))


def clear_notes(cycle: Cycle, event_id: str, who: str, now: datetime) -> tuple[Interview, int]:
    """Forget your notes for an interview (only those for `who`, when given)."""
    interview = find_interview(cycle.store, event_id, now)
    account = live_account(cycle.config, interview)
    stored = cycle.store.user_notes(account.name, interview.event_id)
    if who.strip():
        person = match_person(who.strip(), interview.interviewers)
        whose = {n.who for n in stored if n.who and (
            n.who.casefold() == who.strip().casefold()
            or (person is not None and user_notes.owner(n, interview) is person))}
    else:
        whose = {n.who for n in stored}
    with cycle.store.transaction():
        removed = sum(cycle.store.clear_user_notes(account.name, interview.event_id, w)
                      for w in whose)
        updated = replan(cycle, account, interview, now) if removed else interview
    return updated, removed


def show_notes(cycle: Cycle, event_id: str, now: datetime) -> list[str]:
    """The notes the drafts of an interview will use (yours and the invite's)."""
    interview = find_interview(cycle.store, event_id, now)
    return notes_lines(interview, cycle.store.user_notes(interview.account,
                                                        interview.event_id))


def notes_lines(interview: Interview, mine: list[UserNote]) -> list[str]:
    """Each interviewer's notes, the whole interview's, and notes held for someone not on
    the panel: what `note --show`, `explain` and `preview` print."""
    lines = [f"  {_label(p)}: {p.notes or '-'}" for p in interview.interviewers]
    if interview.notes:
        lines.append(f"  {WHOLE}: {interview.notes}")
    for note in user_notes.held(interview, mine):
        lines.append(f"  held for {note.who!r} (no interviewer of that name yet): {note.text}")
    if not interview.has_notes and len(lines) == len(interview.interviewers):
        lines.append(f"  none yet: `afterword note {interview.event_id} \"Jane: what you "
                     "talked about\"`")
    return lines


def describe(noted: Noted, config: Config, now: datetime) -> list[str]:
    """What `afterword note` prints: where each note went, and when it is used."""
    interview = noted.interview
    out = [f"{interview_name(interview)} ({interview.event_id}):"]
    out += [f"  noted for {whom}: {text}" for whom, text in noted.lines]
    if noted.drafts_made:
        out.append(f"The drafts of this interview were written before this note "
                   f"({noted.drafts_made}): rebuild the ones you have not edited with "
                   f"`afterword redraft {interview.event_id}` (an edited one: edit the draft "
                   "to add it).")
        return out
    if noted.drafts_closed:
        out.append("Its notes were already sent or put aside; this note stays with the "
                   "interview (`afterword note --show`).")
        return out
    due = config.drafts.due_at(interview.end, interview.has_notes)
    zone = config.me.timezone
    if due > now:
        out.append(f"Its drafts use it; they are written at {due.astimezone(zone):%a %H:%M}.")
    else:
        out.append("Its drafts use it; they are written at the daemon's next check "
                   f"(within {_interval(config)}).")
    return out


def _interval(config: Config) -> str:
    from afterword.daemon.durations import format_duration

    return format_duration(config.daemon.poll_interval)


def _whom(note: UserNote, person: Interviewer | None) -> str:
    if person is not None:
        return _label(person)
    if note.who:
        return f"{note.who} (nobody of that name is known yet: it is used once you add them)"
    return WHOLE


def _label(person: Interviewer) -> str:
    return " ".join((person.name or person.email or "?").split())


def _not_on_panel(who: str, interview: Interview, from_option: bool) -> str:
    names = ", ".join(_label(p) for p in interview.interviewers)
    hint = ("" if from_option else
            f"; for the whole interview, write it without \"{who}:\"")
    return (f"{who!r} is none of the interviewers of {interview_name(interview)} ({names}): "
            f"name one of them (first name, full name or address){hint}; someone missing: "
            f"`afterword add-interviewer {interview.event_id} \"Name <address>\"` first")
