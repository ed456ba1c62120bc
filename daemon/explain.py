"""`afterword explain EVENT_ID`: why an event is or is not an interview, and who gets a note.

The event is looked up in the state database first (interviews keep the event they were
made from), then asked of each account's calendar. The text goes to the user's own
terminal only, never to the logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from afterword.daemon.compose import salutation
from afterword.daemon.config import AccountConfig, Config
from afterword.daemon.cycle import Cycle
from afterword.daemon.errors import AfterwordError, UsageError
from afterword.daemon.model import Attendee, CalendarEvent, InterviewStatus
from afterword.daemon.names import clean_display
from afterword.daemon.planning import plan


@dataclass(frozen=True)
class Found:
    """An event found for an id, and the account it belongs to."""

    account: AccountConfig
    event: CalendarEvent
    stored: bool  # from the state database (an interview) rather than the calendar


def find_event(config: Config, cycle: Cycle, event_id: str) -> list[Found]:
    """Every event with this id: stored interviews first, else each account's calendar.

    UsageError (exit 2) when no account knows it.
    """
    found: list[Found] = []
    for interview in cycle.store.find_interviews(event_id):
        event = cycle.store.interview_event(interview.account, interview.event_id)
        account = next((a for a in config.accounts if a.name == interview.account), None)
        if event is not None and account is not None:
            found.append(Found(account, event, True))
    if found:
        return found
    problems = []
    for account in config.accounts:
        try:
            event = cycle.provider(account).calendar().get_event(event_id)
        except AfterwordError as err:
            problems.append(f"{account.name}: {err}")
            continue
        if event is not None:
            found.append(Found(account, event, False))
    if not found:
        tail = f" (could not check {'; '.join(problems)})" if problems else ""
        raise UsageError(f"no event with id {event_id!r} in any account{tail}")
    return found


def explain(config: Config, cycle: Cycle, found: Found) -> list[str]:
    """The lines `afterword explain` prints for one event."""
    event, account = found.event, found.account
    mine = cycle.my_emails(account)
    zone = config.me.timezone
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    lines = [
        f"event: {_one_line(event.title) or '(no title)'}",
        f"  account {account.name}, id {event.id}",
        f"  {start:%a %d %b %Y %H:%M}–{end:%H:%M} ({config.me.timezone_name})"
        + (", all day" if event.all_day else ""),
    ]
    planned = plan(event, config, mine,
                   cycle.store.manual_interviewers(account.name, event.id))
    decision, extraction = planned.decision, planned.extraction
    # A skip's reason already says "skipped: ..." or "not an interview: ...".
    lines.append(f"decision: an interview: {decision.reason}" if decision.is_interview
                 else f"decision: {decision.reason}")
    if decision.is_interview:
        lines.append(f"status: {extraction.status.value}: {extraction.why}")
        if extraction.status is InterviewStatus.NAMES_NEEDED:
            lines.append("  ask the receptionist or HR for their names, then `afterword "
                         f"add-interviewer {event.id} \"Name <address>\"`")
        what = ", ".join(f"{k} {v}" for k, v in (("company", extraction.company),
                                                   ("role", extraction.role)) if v)
        if what:
            lines.append(f"for: {what}")
    lines.append("attendees:")
    by_address = {p.email: p for p in extraction.interviewers if p.email}
    for v in extraction.verdicts:
        who = _who(v.attendee)
        if not decision.is_interview:
            lines.append(f"  - {who}: no note, the event is not an interview"
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


def _who(attendee: Attendee) -> str:
    name = clean_display(attendee.name)
    email = _one_line(attendee.email or "")
    if name and email:
        return f"{name} <{email}>"
    return name or (f"<{email}>" if email else "(no name, no address)")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
