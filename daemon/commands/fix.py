"""`afterword fix EVENT_ID --company X --role Y` (`--clear`): correct what an interview is for.

The correction is stored in the state database and wins over what the title and the
interviewers' domain say, wherever an interview is planned: the cycle (so later notes
use it), `preview`, `explain` and `status`. The stored interview is re-planned at once.
Notes already drafted keep their words until `afterword redraft` rewrites the ones the
user has not edited.
"""

from __future__ import annotations

from datetime import datetime

from afterword.daemon.commands.which import replan
from afterword.daemon.errors import CONTROL_CHARS, UsageError, one_line
from afterword.daemon.model import DraftState, Interview, InterviewStatus, TitleFix
from afterword.daemon.runtime.cycle import Cycle

_MAX = 80


def checked(value: str | None, what: str) -> str | None:
    """A company or role as typed: one plain line of at most 80 characters ("" = none)."""
    if value is None:
        return None
    if CONTROL_CHARS.search(value):
        raise UsageError(f"the {what} contains control characters or line breaks")
    value = " ".join(value.split())
    if len(value) > _MAX:
        raise UsageError(f"the {what} is longer than {_MAX} characters")
    return value


def fix(cycle: Cycle, event_id: str, company: str | None, role: str | None, clear: bool,
        now: datetime) -> str:
    """Store (or with `clear`, forget) the correction and re-plan the interview; the line
    to print."""
    company, role = checked(company, "company"), checked(role, "role")
    if clear and (company is not None or role is not None):
        raise UsageError("--clear undoes a fix; give it alone, without --company or --role")
    if not clear and company is None and role is None:
        raise UsageError("say what to fix: --company NAME and/or --role TITLE "
                         "(an empty value means none), or --clear")
    interview = _one_interview(cycle, event_id)
    account = interview.account
    event = cycle.store.interview_event(account, interview.event_id)
    if event is None:  # the row exists, so its event does too; guard anyway
        raise UsageError(f"no stored event for interview {interview.event_id}")
    account_config = next(a for a in cycle.config.accounts if a.name == account)
    with cycle.store.transaction():
        if clear:
            if not cycle.store.clear_title_fix(account, interview.event_id):
                raise UsageError(f"interview {interview.event_id} has no fix to clear")
        else:
            cycle.store.set_title_fix(account, interview.event_id, TitleFix(company, role), now)
        # Re-planned with the fix just stored (and the user's people and notes).
        result = replan(cycle, account_config, interview, now)
    drafted = [d for d in cycle.store.drafts_for_event(account, interview.event_id)
               if d.state is not DraftState.PLANNED]
    said = _what(result)
    head = (f"cleared the fix of {_quoted(interview.title)}: as the invite says, {said}"
            if clear else f"fixed {_quoted(interview.title)}: {said}")
    tail = ("; notes drafted from now on use it" if not drafted else
            f"; notes drafted from now on use it ({len(drafted)} already drafted: "
            f"`afterword redraft {interview.event_id}` rewrites those you have not edited)")
    return head + tail


def for_lines(company: str, role: str, fix: TitleFix | None, event_id: str) -> list[str]:
    """What `explain` says the notes name, and how to correct it."""
    what = ", ".join(f"{k} {v}" for k, v in (("company", company), ("role", role)) if v)
    if fix is not None:
        return [f"for: {what or 'no company or role'} (fixed by you; "
                f"`afterword fix {event_id} --clear` undoes it)"]
    if what:
        return [f"for: {what} (wrong? `afterword fix {event_id} --company X --role Y`)"]
    return [f"for: neither company nor role is known for sure, so the notes name neither "
            f"(`afterword fix {event_id} --company X --role Y` names them)"]


def _one_interview(cycle: Cycle, event_id: str) -> Interview:
    found = cycle.store.find_interviews(event_id)
    if not found:
        raise UsageError(f"no interview with id {event_id!r} (`afterword list` shows the "
                         "interviews and their ids; a new one is known after the next cycle)")
    if len(found) > 1:
        accounts = ", ".join(sorted(i.account for i in found))
        raise UsageError(f"{event_id!r} matches interviews in several accounts ({accounts}); "
                         "give the full event id")
    interview = found[0]
    if not any(a.name == interview.account for a in cycle.config.accounts):
        raise UsageError(f"interview {interview.event_id} belongs to account "
                         f"'{interview.account}', which is no longer in the config")
    if interview.status is InterviewStatus.CANCELLED:
        raise UsageError(f"interview {interview.event_id} was cancelled or removed")
    return interview


def _what(interview: Interview) -> str:
    company = f"company {interview.company}" if interview.company else "no company"
    role = f"role {interview.role}" if interview.role else "no role"
    return f"{company}, {role}"


def _quoted(title: str) -> str:
    return repr(one_line(title, 80))
