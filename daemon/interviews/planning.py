"""One event → the verdict and the interview to store: detection and extraction together.

The cycle (new and unchanged events), `add-interviewer` and `explain` all plan the same
way, so what `explain` prints is what the cycle does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from afterword.daemon.config import Config
from afterword.daemon.errors import one_line
from afterword.daemon.interviews import detect, people, user_notes
from afterword.daemon.interviews.notes import apply_notes
from afterword.daemon.interviews.reading import InviteReading, read
from afterword.daemon.model import CalendarEvent, Interview, TitleFix, UserNote


@dataclass(frozen=True)
class Plan:
    """Whether the event is an interview, who gets a note, and the record to store."""

    decision: detect.Decision
    extraction: people.Extraction
    interview: Interview | None  # None: not an interview
    reading: InviteReading


def plan(event: CalendarEvent, config: Config, my_emails: Sequence[str],
         manual: list[tuple[str, str]] | None = None, fix: TitleFix | None = None,
         notes: list[UserNote] | None = None) -> Plan:
    """Detect and extract one event with the whole config. Pure; never raises on odd input.

    `manual`: interviewers added by hand; `fix`: the user's correction of company and role;
    `notes`: what the user wrote down (`afterword note`).
    """
    mine = tuple(my_emails)
    reading = read(event, config.recipients, mine)
    decision = detect.decide(event, config.detect, mine, config.recipients, reading)
    problem = event.date_problem()
    if problem is not None:  # as in plan_interview: never planned
        decision = detect.Decision(False, f"skipped: {problem}", "dates")
    extraction = _extract(event, config, mine, manual, fix, reading)
    interview = (interview_of(reading, extraction, decision.reason, notes)
                 if decision.is_interview else None)
    return Plan(decision, extraction, interview, reading)


def plannable(events: Iterable[CalendarEvent],
              warnings: Iterable[str] = ()) -> tuple[list[CalendarEvent], list[str]]:
    """The events that can be planned, and `warnings` with one more for each that cannot:
    whatever the provider, an event at a time no deadline can be computed from (year
    9999, an end before its start) is skipped, never an OverflowError."""
    kept, warnings = [], list(warnings)
    for event in events:
        problem = event.date_problem()
        if problem is None:
            kept.append(event)
        else:
            warnings.append(one_line(f"skipped event {event.id}: {problem}", 300))
    return kept, warnings


def plan_interview(event: CalendarEvent, config: Config, my_emails: Sequence[str],
                   manual: list[tuple[str, str]] | None = None,
                   fix: TitleFix | None = None,
                   notes: list[UserNote] | None = None) -> Interview | None:
    """`plan(...).interview`, without extracting the people of events that are not
    interviews (most of a busy calendar: extraction is the costly part)."""
    if event.date_problem() is not None:
        return None  # nothing is planned at a time no deadline can be computed from
    mine = tuple(my_emails)
    decision, reading = detect.decide_and_read(event, config.detect, mine, config.recipients)
    if not decision.is_interview:
        return None
    # Read once for both: detection reads only the events whose rules matched.
    reading = reading or read(event, config.recipients, mine)
    return interview_of(reading, _extract(event, config, mine, manual, fix, reading),
                        decision.reason, notes)


def _extract(event: CalendarEvent, config: Config, mine: tuple[str, ...],
             manual: list[tuple[str, str]] | None, fix: TitleFix | None,
             reading: InviteReading) -> people.Extraction:
    extraction = people.extract(event, config.recipients, mine, manual=manual,
                                title_patterns=config.detect.title_patterns,
                                my_name=config.me.name, reading=reading)
    if fix is None:
        return extraction
    # The user's word beats the title's: `afterword fix` corrects a wrong or missing one.
    return replace(extraction,
                   company=extraction.company if fix.company is None else fix.company,
                   role=extraction.role if fix.role is None else fix.role)


def interview_of(reading: InviteReading, extraction: people.Extraction, reason: str,
                 notes: list[UserNote] | None = None) -> Interview:
    """The interview to store for an event recognised as one (`reason`: the rule)."""
    interview = people.build_interview(reading.event, extraction, reason)
    # The user's "Notes:" lines: per-person ones go to that interviewer, the rest to the
    # interview (notes.py owns the split). Then what the user wrote down afterwards
    # (`afterword note`).
    return user_notes.merge(apply_notes(interview, reading.description.notes), notes or [])
