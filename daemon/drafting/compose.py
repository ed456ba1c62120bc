"""One interview → one finished `EmailMessage` per interviewer, or none at all.

The variables a template sees are built here (`note_context`), the template is chosen by
`[[drafts.rules]]` (`choose_template`), and `compose_interview` renders every
interviewer's note before any draft is written: one failure stops the whole interview,
so a panel never gets half its notes and no draft is ever half-rendered. The cycle and
`afterword preview` both call it, so the preview is exactly what would be drafted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from afterword.daemon.config import Config, DraftRule, Job
from afterword.daemon.drafting.mime import (
    KEY_HEADER,
    POLICY,
    RenderedNote,
    build_message,
    header_safe,
    valid_address,
)
from afterword.daemon.drafting.templating import PACKAGED_TEMPLATES, Templates, Variation
from afterword.daemon.interviews.asking import Ask
from afterword.daemon.interviews.jobs import JobMatch, job_for
from afterword.daemon.model import DraftKey, DraftKind, Interview, Interviewer, InterviewStatus

__all__ = [
    "ASK_TEMPLATE", "KEY_HEADER", "PACKAGED_TEMPLATES", "POLICY", "ComposedDraft",
    "InterviewDrafts",
    "RenderedNote", "Templates", "build_message", "choose_template", "compose_interview",
    "header_safe", "note_context", "salutation", "valid_address", "when_phrase",
]


@dataclass(frozen=True)
class ComposedDraft:
    """One finished note, ready for `DraftMailbox.create_draft`."""

    key: DraftKey
    name: str
    message: EmailMessage


@dataclass(frozen=True)
class InterviewDrafts:
    """Every note of one interview, who could not get one (no address yet), and the one
    note asking for the missing names (when there is someone to ask)."""

    template: str
    drafts: list[ComposedDraft] = field(default_factory=list)
    no_address: list[Interviewer] = field(default_factory=list)
    ask: ComposedDraft | None = None
    job: JobMatch | None = None


ASK_TEMPLATE = "ask-names"


def choose_template(rules: Sequence[DraftRule], default: str, account: str,
                    interview: Interview) -> str:
    """The template of the first rule whose every condition matches, else `default`.

    `company` matches the interview's company, `role` a keyword of its role or title
    (both case-insensitive substrings), `account` the account's name exactly.
    """
    for rule in rules:
        if rule.account and rule.account != account:
            continue
        if rule.company and rule.company.casefold() not in interview.company.casefold():
            continue
        if rule.role and rule.role.casefold() not in (
                f"{interview.role} {interview.title}".casefold()):
            continue
        return rule.template
    return default


def compose_interview(config: Config, templates: Templates, account: str,
                      interview: Interview, *, from_address: str, now: datetime,
                      ask: Ask | None = None, job: JobMatch | None = None) -> InterviewDrafts:
    """Render and build every interviewer's note, and the ask for names when `ask` says
    whom to ask; TemplateError if any one fails. `job`: the interview's job, when the
    caller matched it with more than the interviewers' addresses (the organizer's)."""
    template = choose_template(config.drafts.rules, config.drafts.template, account, interview)
    job = job or job_for(config.jobs, interview)
    result = InterviewDrafts(template, job=job)
    # Names needed: the only address known may be the recruiter's, not the panel's.
    thanked = interview.interviewers if interview.status is InterviewStatus.READY else ()
    for person in thanked:
        if not person.email:
            result.no_address.append(person)  # shown by status; drafted once an address is added
            continue
        key = DraftKey(account, interview.event_id, person.email)
        note = templates.render(template, note_context(config, interview, person, now, job))
        result.drafts.append(ComposedDraft(key, person.name, _message(
            config, note, key, person, from_address, now)))
    if ask is not None and ask.person.email:
        key = DraftKey(account, interview.event_id, ask.person.email, DraftKind.ASK_NAMES)
        context = note_context(config, interview, ask.person, now, job)
        context["ask"] = {"why": ask.why, "mailbox": ask.mailbox, "missing": [
            person_vars(p) for p in interview.interviewers if not p.email]}

        note = templates.render(ASK_TEMPLATE, context)
        result = replace(result, ask=ComposedDraft(key, ask.person.name, _message(
            config, note, key, ask.person, from_address, now)))
    return result


def _message(config: Config, note: RenderedNote, key: DraftKey, person: Interviewer,
             from_address: str, now: datetime) -> EmailMessage:
    return build_message(
        note, key=key.id, to_name=person.name, to_address=person.email or "",
        from_name=config.me.name, from_address=from_address, now=now, zone=config.me.timezone)


def note_context(config: Config, interview: Interview, interviewer: Interviewer,
                 now: datetime, job: JobMatch | None = None) -> dict[str, Any]:
    """The variables a template sees for one interviewer of one interview (`job`: the
    interview's matched job, else matched here from its company and addresses)."""
    zone = config.me.timezone
    start, end = interview.start.astimezone(zone), interview.end.astimezone(zone)
    me_email = config.me.emails[0] if config.me.emails else ""
    others = [p for p in interview.interviewers if p is not interviewer
              and (p.email or p.name) != (interviewer.email or interviewer.name)]
    vary = Variation(interviewer.email or interviewer.name,
                     [p.email or p.name for p in interview.interviewers])
    return {
        "interviewer": person_vars(interviewer),
        "interview": {
            "title": one_line(interview.title),
            "company": one_line(interview.company),
            "role": one_line(interview.role),
            "start": start,
            "end": end,
            "when": when_phrase(start, now.astimezone(zone)),
            "day": start.strftime("%A"),
            "date": f"{start.day} {start:%B %Y}",
            "time": start.strftime("%H:%M"),
            "location": one_line(interview.location),
            "video_link": interview.video_link,
            "notes": interview.notes,
            "panel": [person_vars(p) for p in others],
        },
        "me": {
            "name": config.me.name,
            "first_name": config.me.name.split()[0] if config.me.name.split() else "",
            "email": me_email,
            "signature": config.me.signature or config.me.name,
            "links": list(config.me.links),
        },
        "vars": dict(config.drafts.vars),
        "vary": vary,
        "job": job_vars((job or job_for(config.jobs, interview)), vary.rank),
        # Only the ask-names note fills this in: why this person, and who lacks an address.
        "ask": {"why": "", "mailbox": False, "missing": []},
    }


def job_vars(match: JobMatch | None, rank: int) -> dict[str, Any]:
    """`job.*`: the matched application (empty values when none). `job.highlight` is one of
    its highlights, a different one for each member of a panel (by their rank)."""
    job = match.job if match is not None else Job(company="")
    highlights = list(job.highlights)
    return {
        "company": job.company,
        "role": job.role,
        "pitch": job.pitch,
        "highlights": highlights,
        "highlight": highlights[rank % len(highlights)] if highlights else "",
        "posting": job.posting,
        "contact": job.contact,
        "contact_name": job.contact_name,
        "contact_email": job.contact_email,
    }


def person_vars(person: Interviewer) -> dict[str, Any]:
    """What a template may know about one interviewer."""
    return {
        "name": one_line(person.name),
        "first_name": one_line(person.first_name or person.name),
        "last_name": one_line(person.last_name),
        "title": one_line(person.title),
        "salutation": one_line(salutation(person)),
        "email": person.email or "",
        "role": one_line(person.role),
        "needs_check": person.needs_check,
        "notes": person.notes,
    }


def one_line(text: str) -> str:
    """Invite text as one line: a stranger's name cannot add lines to the note."""
    return header_safe(text, 300)


def salutation(person: Interviewer) -> str:
    """How to greet them: "Dr. Raman" when a title is known, else the first name."""
    if person.title and person.last_name:
        return f"{person.title} {person.last_name}"
    return person.first_name or person.name


def when_phrase(start: datetime, now: datetime) -> str:
    """The interview's time as the note says it, seen from `now` (both in the user's zone).

    "this morning" / "this afternoon" / "this evening", "yesterday", "on Tuesday" (within
    the past week), else "on 3 March".
    """
    days = (now.date() - start.date()).days
    if days == 0:
        part = "morning" if start.hour < 12 else "afternoon" if start.hour < 17 else "evening"
        return "today" if now < start else f"this {part}"
    if days == 1:
        return "yesterday"
    if 1 < days < 7:
        return f"on {start:%A}"
    return f"on {start.day} {start:%B}"
