"""The two nudges around an interview, while it is fresh: pure functions (no I/O).

At its start, an interview with no known interviewer gets "write down every interviewer's
name before you leave"; at its end (not end + drafts.delay), every interview gets "who
did you meet, and what stood out?" with the exact commands to answer. Each is sent once.
They ignore quiet hours unless `[capture] quiet = true`, and expire: the start nudge when
the interview ends, the end nudge `ENDED_FOR` after it (a daemon started the next day
does not say "just ended").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from afterword.daemon.config import CaptureConfig, DraftsConfig, QuietHours
from afterword.daemon.errors import one_line
from afterword.daemon.model import Interview, InterviewStatus
from afterword.daemon.reminders.policy import (
    History,
    Kind,
    Notice,
    Schedule,
    Subject,
    in_quiet_hours,
    quiet_end,
)

ENDED_FOR = timedelta(hours=12)  # the end nudge is pointless after this
JUST = timedelta(minutes=15)  # "just ended" within this, else "ended at 14:00"


@dataclass(frozen=True)
class Nudge:
    """One nudge not sent yet: which, about what, and the moment it is due."""

    kind: Kind  # Kind.STARTS or Kind.ENDED
    interview: Interview
    at: datetime


def pending(interviews: Iterable[Interview], sent: Collection[tuple[str, str, str]],
            capture: CaptureConfig, quiet: QuietHours | None, zone: tzinfo,
            now: datetime) -> list[Nudge]:
    """Every nudge still to send, with when (never in quiet hours if `capture.quiet`)."""
    if not capture.enabled:
        return []
    found = []
    for interview in interviews:
        if interview.status is InterviewStatus.CANCELLED:
            continue
        moments = [(Kind.ENDED, interview.end, interview.end + ENDED_FOR)]
        if interview.status is InterviewStatus.NAMES_NEEDED:
            moments.append((Kind.STARTS, interview.start, interview.end))
        for kind, at, until in moments:
            if (interview.account, interview.event_id, kind.value) in sent:
                continue
            moment = max(at, now)
            if capture.quiet and in_quiet_hours(moment, quiet, zone):
                assert quiet is not None
                moment = quiet_end(moment, quiet, zone)
            if moment <= until:
                found.append(Nudge(kind, interview, moment))
    return found


def due(nudges: Iterable[Nudge], now: datetime) -> list[Nudge]:
    """The nudges to send now, in the order they fell due."""
    return sorted((n for n in nudges if n.at <= now), key=lambda n: n.at)


def earliest(nudges: Iterable[Nudge]) -> datetime | None:
    """When the next nudge falls due (None: none planned)."""
    return min((n.at for n in nudges), default=None)


def interview_name(interview: Interview) -> str:
    """How a nudge names an interview: "Acme — Senior Data Engineer", else its title."""
    company, role = _clean(interview.company, 60), _clean(interview.role, 60)
    if company and role:
        return f"{company} — {role}"
    return _clean(interview.title, 80) or company or role or "Your interview"


def notice(nudge: Nudge, ref: str, drafts: DraftsConfig, zone: tzinfo,
           now: datetime) -> Notice:
    """The message of one nudge; `ref` is what the commands name the interview by
    ("last" when it is the one that ended most recently, else its id)."""
    interview = nudge.interview
    name = interview_name(interview)
    if nudge.kind is Kind.STARTS:
        title = f"Afterword: {name} " + ("starts now" if now < interview.start + JUST
                                         else "is under way")
        body = ("No interviewer's name is known yet: write down every interviewer's name "
                "before you leave (ask for a card, or ask the receptionist). Afterwards: "
                "`afterword add-interviewer last \"Jane Doe <jane@acme.com>\"`.")
    else:
        ended = ("just ended" if now < interview.end + JUST
                 else f"ended at {_clock(interview.end, zone, now)}")
        title = f"Afterword: {name} {ended}"
        when = _drafts_when(interview, drafts, zone, now)
        lines = [f"Who did you meet, and what stood out? {when}"]
        first = next((_clean(p.first_name or p.name, 30) for p in interview.interviewers
                      if p.first_name or p.name), "")
        if first:
            lines.append(f"About one person: `afterword note {ref} \"{first}: what you "
                         "talked about\"`")
        lines.append(f"About the whole interview: `afterword note {ref} \"what stood out\"`")
        missing = "Someone missing" if interview.interviewers else "Nobody is known yet"
        lines.append(f"{missing}: `afterword add-interviewer {ref} \"Name <address>\"`")
        body = "\n".join(lines)
    subject = Subject(kind=nudge.kind, key=interview.event_id, label=name,
                      schedule=Schedule(nudge.at, timedelta(0), timedelta(0), nudge.at),
                      history=History())
    return Notice(title=title, body=body, subjects=(subject,))


def _drafts_when(interview: Interview, drafts: DraftsConfig, zone: tzinfo,
                 now: datetime) -> str:
    if interview.status is not InterviewStatus.READY:
        return "Drafts once the interviewers are known."
    soon = interview.end + drafts.delay
    due = drafts.due_at(interview.end, interview.has_notes)
    if due == soon:
        return f"Drafts at {_clock(due, zone, now)}."
    return (f"Drafts as soon as you add a note (from {_clock(soon, zone, now)}), else at "
            f"{_clock(due, zone, now)}.")


def _clock(moment: datetime, zone: tzinfo, now: datetime) -> str:
    """"14:30" today, "Tue 14:30" on another day."""
    local = moment.astimezone(zone)
    return local.strftime("%H:%M") if local.date() == now.astimezone(zone).date() \
        else local.strftime("%a %H:%M")


def _clean(text: str, limit: int) -> str:
    """Invite text as one short line (it comes from whoever sent the invite), with no
    quote or backtick that could break the commands it is shown in."""
    text = one_line(text.replace("`", "'").replace('"', "'"), limit + 1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
