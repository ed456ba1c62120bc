"""`afterword explain EVENT_ID`: why an event is or is not an interview, and who gets a note.

The event is looked up in the state database first (interviews keep the event they were
made from), then asked of each account's calendar. The text goes to the user's own
terminal only, never to the logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from afterword.daemon.commands.fix import for_lines
from afterword.daemon.commands.note import notes_lines
from afterword.daemon.commands.which import LAST, find_interview
from afterword.daemon.config import AccountConfig, Config
from afterword.daemon.drafting.compose import salutation
from afterword.daemon.errors import AfterwordError, UsageError, one_line
from afterword.daemon.interviews.asking import job_match, names_missing, who_to_ask
from afterword.daemon.interviews.jobs import explain_line
from afterword.daemon.interviews.names import clean_display
from afterword.daemon.interviews.planning import plan
from afterword.daemon.model import (
    Attendee,
    CalendarEvent,
    DraftState,
    EventStatus,
    Interview,
    InterviewStatus,
)
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.store import Store
from afterword.providers.base import Lookup, SkippedSeries


@dataclass(frozen=True)
class Found:
    """An event found for an id, and the account it belongs to."""

    account: AccountConfig
    event: CalendarEvent | None  # None: cancelled, and the calendar kept only its id
    stored: bool  # from the state database (an interview) rather than the calendar
    # "" (as the calendar has it), "cancelled" (cancelled there), "removed" (an interview
    # whose event the calendar no longer has), "dropped" (the state says the interview was
    # dropped; the calendar could not be asked why)
    gone: str = ""
    event_id: str = ""


def find_event(config: Config, cycle: Cycle, event_id: str) -> list[Found]:
    """Every event with this id: stored interviews first, else each account's calendar.

    Cancelled events are found too (`explain` says so). UsageError (exit 2) when no
    account knows the id.
    """
    found: list[Found] = []
    problems: list[str] = []
    if event_id.strip().casefold() == LAST:
        event_id = find_interview(cycle.store, event_id, cycle.clock()).event_id
    for interview in cycle.store.find_interviews(event_id):
        event = cycle.store.interview_event(interview.account, interview.event_id)
        account = next((a for a in config.accounts if a.name == interview.account), None)
        if event is None or account is None:
            continue
        if interview.status is not InterviewStatus.CANCELLED:
            found.append(Found(account, event, True, "", interview.event_id))
            continue
        # Dropped since: the stored event is as it was *before*; the calendar says why
        # (cancelled, removed, or edited into something that is no longer an interview).
        now = _lookup(cycle, account, interview.event_id, problems)
        if now is None or now is _UNREACHABLE:
            found.append(Found(account, event, True, "removed" if now is None else "dropped",
                               interview.event_id))
        else:
            found.append(Found(account, now.event or event, False,
                               "cancelled" if now.cancelled else "", interview.event_id))
    if found:
        return found
    for account in config.accounts:
        now = _lookup(cycle, account, event_id, problems)
        if now is not None and now is not _UNREACHABLE:
            found.append(Found(account, now.event, False,
                               "cancelled" if now.cancelled else "", event_id))
    if not found:
        tail = f" (could not check {'; '.join(problems)})" if problems else ""
        raise UsageError(f"no event with id {event_id!r} in any account{tail}")
    return found


_UNREACHABLE = Lookup("", None)  # the calendar could not be asked


def skipped_blocks(store: Store, event_id: str) -> list[str]:
    """What `explain` says of a series skipped for repeating too often, found by its id,
    a prefix of it, or one of its occurrences' ids (none: [])."""
    return ["\n".join(_skipped(account, series)) for account, series, _
            in store.skipped_series()
            if event_id in (series.series_id, series.series_id[:len(event_id)])
            or event_id.startswith(series.series_id + "_")]


def _skipped(account: str, series: SkippedSeries) -> list[str]:
    return [f"event: {one_line(series.title) or '(no title)'} (a repeating event)",
            f"  account {account}, series {series.series_id}",
            f"decision: skipped: {series.reason}; nobody has that many interviews a day, so "
            "no occurrence of it gets a note (an invite from a stranger can repeat every "
            "minute)"]


def _lookup(cycle: Cycle, account: AccountConfig, event_id: str,
            problems: list[str]) -> Lookup | None:
    try:
        return cycle.provider(account).calendar().lookup(event_id)
    except AfterwordError as err:
        problems.append(f"{account.name}: {err}")
        return _UNREACHABLE


def explain(config: Config, cycle: Cycle, found: Found) -> list[str]:
    """The lines `afterword explain` prints for one event."""
    event, account = found.event, found.account
    event_id = found.event_id or (event.id if event else "")
    if event is None:  # a Google tombstone: nothing but the id is left
        return ["event: (cancelled; the calendar keeps no details)",
                f"  account {account.name}, id {event_id}",
                "decision: skipped: the event is cancelled",
                *_after_cancel(cycle, account.name, event_id)]
    if found.gone == "cancelled":
        event = replace(event, status=EventStatus.CANCELLED)
    mine = cycle.my_emails(account)
    zone = config.me.timezone
    lines = [f"event: {one_line(event.title) or '(no title)'}",
             f"  account {account.name}, id {event.id}"]
    if event.date_problem() is None:  # else the zone arithmetic may overflow
        start, end = event.start.astimezone(zone), event.end.astimezone(zone)
        lines.append(f"  {start:%a %d %b %Y %H:%M}–{end:%H:%M} ({config.me.timezone_name})"
                     + (", all day" if event.all_day else ""))
    else:
        lines.append(f"  {event.start.isoformat()} to {event.end.isoformat()}")
    fix = cycle.store.title_fix(account.name, event.id)
    mine_noted = cycle.store.user_notes(account.name, event.id)
    planned = plan(event, config, mine,
                   cycle.store.manual_interviewers(account.name, event.id), fix, mine_noted)
    decision, extraction = planned.decision, planned.extraction
    interview = decision.is_interview and found.gone not in _DROPPED
    # A skip's reason already says "skipped: ..." or "not an interview: ...".
    if found.gone in _DROPPED:
        lines.append(f"decision: skipped: {_DROPPED[found.gone]}")
    else:
        lines.append(f"decision: an interview: {decision.reason}" if decision.is_interview
                     else f"decision: {decision.reason}")
    if found.gone in _DROPPED or decision.rule == "cancelled":
        lines.extend(_after_cancel(cycle, account.name, event.id))
    if interview:
        lines.append(f"status: {extraction.status.value}: {extraction.why}")
        if extraction.status is InterviewStatus.NAMES_NEEDED:
            lines.append("  ask the receptionist or HR for their names, then `afterword "
                         f"add-interviewer {event.id} \"Name <address>\"`")
        lines.extend(for_lines(extraction.company, extraction.role, fix, event.id))
        if planned.interview is not None:
            lines.extend(_job_and_ask(config, event, planned.interview, mine))
            lines.append("notes (the invite's Notes: section and `afterword note`):")
            lines.extend(notes_lines(planned.interview, mine_noted))
    lines.append("attendees:")
    by_address = {p.email: p for p in extraction.interviewers if p.email}
    why_not = ("the event is cancelled" if decision.rule == "cancelled"
               else _NO_NOTE.get(found.gone, "the event is not an interview"))
    for v in extraction.verdicts:
        who = _who(v.attendee)
        if not interview:
            lines.append(f"  - {who}: no note, {why_not}"
                         f" (otherwise: {'recipient' if v.recipient else v.reason})")
        elif v.recipient:
            person = by_address.get((v.attendee.email or "").lower())
            greeting = f", greeted \"{salutation(person)}\"" if person else ""
            check = " [check the name]" if person and person.needs_check else ""
            lines.append(f"  + {who}: recipient ({v.reason}){greeting}{check}")
        else:
            lines.append(f"  - {who}: not a recipient: {v.reason}")
    if not extraction.verdicts:
        lines.append("  (none listed" + (", the guest list is hidden)" if
                                          event.attendees_hidden else ")"))
    return lines


# An interview dropped since it was stored, as the decision line and the attendee line say.
_DROPPED = {
    "removed": "the event is no longer in the calendar (deleted or moved away)",
    "dropped": "the last sync dropped this interview (cancelled, removed or no longer an "
               "interview); the calendar could not be asked why just now",
}
_NO_NOTE = {"removed": "the event was removed", "dropped": "the interview was dropped"}


def _job_and_ask(config: Config, event: CalendarEvent, interview: Interview,
                 mine: Sequence[str]) -> list[str]:
    """The `job:` line (which [[jobs]] entry the notes use) and whom the names are asked of."""
    lines = []
    job = explain_line(job_match(event, interview, config), config.jobs)
    if job:
        lines.append(job)
    if names_missing(interview):
        ask = who_to_ask(event, interview, config, mine)
        if ask is not None:
            lines.append(f"ask for names: one note to {ask.person.name or ask.person.email} "
                         f"<{ask.person.email}> ({ask.why}), template ask-names")
        elif not config.recipients.ask_for_names:
            lines.append("ask for names: off (recipients.ask_for_names = false)")
        else:
            lines.append("ask for names: nobody to ask (no organizer to ask, and no "
                         "[[jobs]] contact for it)")
    return lines


def _after_cancel(cycle: Cycle, account: str, event_id: str) -> list[str]:
    """What a cancellation means for notes: none will be drafted; drafts made stay put."""
    lines = ["  no note will be drafted for it"]
    drafts = [d for d in cycle.store.drafts(account) if d.event_id == event_id]
    waiting = [d for d in drafts if d.state is DraftState.DRAFTED]
    sent = [d for d in drafts if d.state is DraftState.SENT]
    if waiting:
        lines.append(f"  {len(waiting)} note(s) drafted before stay in your Drafts folder "
                     "(Afterword never deletes mail): delete them if they are no longer "
                     "wanted; until then reminders go on (`afterword done KEY` stops them):")
        lines.extend(f"    {d.key}  {clean_display(d.recipient_name) or 'an interviewer'}"
                     for d in waiting)
    if sent:
        lines.append(f"  {len(sent)} note(s) already sent")
    return lines


def _who(attendee: Attendee) -> str:
    name = clean_display(attendee.name)
    email = one_line(attendee.email or "")
    if name and email:
        return f"{name} <{email}>"
    return name or (f"<{email}>" if email else "(no name, no address)")

