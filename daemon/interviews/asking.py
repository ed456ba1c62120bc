"""Who to ask for the interviewers' names, when the invite does not give them all.

The coach's advice: if you didn't get the names, ask the receptionist or HR. The right
person is the organizer when it is not you (a shared recruiting@ mailbox included: it gets
no thank-you note, but it is where such a question goes), else the matched job's
`contact`. Pure: a function of the event, the interview, the config and your addresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afterword.daemon.config import Config
from afterword.daemon.interviews import addresses
from afterword.daemon.interviews.jobs import JobMatch, job_for
from afterword.daemon.interviews.people import drop_reason, interviewer_from
from afterword.daemon.model import CalendarEvent, Interview, Interviewer, InterviewStatus

# Drop reasons that still leave the organizer a fine person to ask.
_ASKABLE = (None, "a shared mailbox")


@dataclass(frozen=True)
class Ask:
    """The one person to ask, and why them (for `explain` and `preview`)."""

    person: Interviewer
    why: str
    mailbox: bool = False  # a shared mailbox (recruiting@): nobody's name to greet


def names_missing(interview: Interview) -> bool:
    """No identifiable interviewer, or someone named without an address."""
    return (interview.status is InterviewStatus.NAMES_NEEDED
            or any(p.email is None for p in interview.interviewers))


def who_to_ask(event: CalendarEvent | None, interview: Interview, config: Config,
               my_emails: Sequence[str]) -> Ask | None:
    """The person to ask for the names, or None (nobody to ask, nothing missing, or
    `[recipients] ask_for_names = false`)."""
    if not config.recipients.ask_for_names or not names_missing(interview):
        return None
    if interview.status not in (InterviewStatus.READY, InterviewStatus.NAMES_NEEDED):
        return None
    organizer = event.organizer if event is not None else None
    mine = addresses.my_addresses(my_emails)
    if organizer is not None and organizer.email:
        email = organizer.email.strip().lower()
        reason = drop_reason(organizer, config.recipients, mine)
        generic = addresses.in_domains(email, config.recipients.generic_domains)
        shared = reason == "a shared mailbox"
        # A scheduling robot (scheduling@goodtime.io) is no place to ask.
        if reason in _ASKABLE and not (shared and generic):
            name = " ".join((organizer.name or "").split())
            person = (Interviewer(name=name, email=email) if shared
                      else interviewer_from(name or None, email))
            return Ask(person, "the organizer" + (" (a shared mailbox)" if shared else ""),
                       mailbox=shared)
    match = job_match(event, interview, config)
    if match is not None and match.job.contact_email:
        job = match.job
        if addresses.normalise_address(job.contact_email) not in mine:
            return Ask(interviewer_from(job.contact_name or None, job.contact_email,
                                        source="job"), f"the contact of {job.where}")
    return None


def ask_and_job(event: CalendarEvent | None, interview: Interview, config: Config,
                my_emails: Sequence[str]) -> tuple[Ask | None, JobMatch | None]:
    """Whom to ask for the names (if anyone) and the interview's job, as the cycle, `preview`
    and `redraft` compose them."""
    return who_to_ask(event, interview, config, my_emails), job_match(event, interview, config)


def job_match(event: CalendarEvent | None, interview: Interview,
              config: Config) -> JobMatch | None:
    """The interview's job; the organizer's domain counts too (recruiting@acme.example)."""
    organizer = event.organizer.email if event is not None and event.organizer else None
    return job_for(config.jobs, interview, [organizer])
