"""When to remind, and what to say: pure functions of state and a clock (no I/O).

Three things are worth a nudge: a draft waiting to be sent, an interview whose
interviewers have no names yet, and an account that needs signing in again. Each is a
`Subject` with a `Schedule` (when reminders start, how often, when they stop) and a
`History` (what was already sent, snoozes). `next_reminder` turns the two into the next
moment to remind, outside quiet hours; `due` and `digest` turn the due subjects into one
message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from afterword.daemon.config import DraftsConfig, QuietHours, RemindersConfig
from afterword.daemon.model import (
    DraftKind,
    DraftRecord,
    DraftState,
    Interview,
    InterviewStatus,
    later,
)


class Kind(StrEnum):
    """What a reminder is about."""

    DRAFT = "draft"
    NAMES = "names_needed"
    CAP = "too_many"  # more recipients than recipients.max_per_interview
    REAUTH = "needs_reauth"
    HELD = "held"  # due interviews kept back by drafts.max_per_day
    STARTS = "interview_starts"  # names needed: write them down before leaving (capture.py)
    ENDED = "interview_ended"  # who did you meet, what stood out (capture.py)


@dataclass(frozen=True)
class Schedule:
    """Reminders start at `start + first_after`, repeat every `every`, end at `final_at`."""

    start: datetime
    first_after: timedelta
    every: timedelta
    final_at: datetime | None  # the last reminder (None: until the problem is fixed)


@dataclass(frozen=True)
class History:
    """What already happened: reminders sent, and a snooze."""

    last_at: datetime | None = None
    count: int = 0
    snoozed_until: datetime | None = None
    dismissed: bool = False


@dataclass(frozen=True)
class Subject:
    """One thing to remind about."""

    kind: Kind
    key: str  # what `afterword done KEY` / `snooze KEY` takes
    label: str  # for people: who / which interview / which account (never an address)
    schedule: Schedule
    history: History
    deadline: datetime | None = None  # shown as "send by"
    ref: str = ""  # where its history is stored (the draft key, or a reminder_subjects row)
    ask: bool = False  # a draft asking for the interviewers' names, not a thank-you
    letter: str = ""  # the printable letter written beside the draft ([letters] auto)


@dataclass(frozen=True)
class Notice:
    """One message to the user, however many subjects it covers."""

    title: str
    body: str
    subjects: tuple[Subject, ...]


# Past this, time-zone conversions of an aware datetime can overflow.


def in_quiet_hours(moment: datetime, quiet: QuietHours | None, zone: tzinfo) -> bool:
    """Whether `moment` falls in the daily quiet span (which may run over midnight)."""
    if quiet is None or quiet.start == quiet.end:
        return False
    local = moment.astimezone(zone).time()
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def quiet_end(moment: datetime, quiet: QuietHours, zone: tzinfo) -> datetime:
    """The first moment at or after `moment` when the quiet span is over."""
    local = moment.astimezone(zone)
    end = datetime.combine(local.date(), quiet.end, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=zone)
    return end.astimezone(moment.tzinfo)


def last_allowed(moment: datetime, quiet: QuietHours | None, zone: tzinfo) -> datetime:
    """`moment`, or when it falls in quiet hours the last minute before that quiet span."""
    if quiet is None or not in_quiet_hours(moment, quiet, zone):
        return moment
    local = moment.astimezone(zone)
    begin = datetime.combine(local.date(), quiet.start, tzinfo=zone)
    if begin > local:
        begin = datetime.combine(local.date() - timedelta(days=1), quiet.start, tzinfo=zone)
    return (begin - _BEFORE_QUIET).astimezone(moment.tzinfo)


# The deadline reminder moved out of quiet hours goes this long before they begin.
_BEFORE_QUIET = timedelta(minutes=1)


def next_reminder(schedule: Schedule, history: History, quiet: QuietHours | None,
                  zone: tzinfo) -> datetime | None:
    """The next moment to remind, or None when reminders are over for this subject.

    Never in quiet hours and never after the deadline: a deadline that falls in quiet
    hours is reminded about just before they begin (the evening before, not the morning
    after), and a subject that appears, or is snoozed, past its deadline stays silent.
    """
    if history.dismissed:
        return None
    final = schedule.final_at
    if final is not None:
        final = last_allowed(final, quiet, zone)
        if final < schedule.start:
            # It appeared after its deadline (a late draft): one reminder, then silence.
            if history.last_at is not None or history.snoozed_until is not None:
                return None
            moment = schedule.start
            if quiet is not None and in_quiet_hours(moment, quiet, zone):
                moment = quiet_end(moment, quiet, zone)
            return moment
        if history.last_at is not None and history.last_at >= final:
            return None  # the last one went out: silence
    if history.last_at is None:
        moment = schedule.start + schedule.first_after
    else:
        moment = history.last_at + schedule.every
    if history.snoozed_until is not None:
        moment = max(moment, history.snoozed_until)
    if quiet is not None and in_quiet_hours(moment, quiet, zone):
        moment = quiet_end(moment, quiet, zone)
    if final is not None and moment > final:
        if history.snoozed_until is not None and history.snoozed_until > final:
            return None  # snoozed past the deadline: the user chose silence
        moment = final  # the last one, at (or just before the quiet hours of) the deadline
    return moment


def due(subjects: list[Subject], now: datetime, quiet: QuietHours | None, zone: tzinfo,
        group_within: timedelta = timedelta(0)) -> list[Subject]:
    """The subjects to remind about now (nothing at all during quiet hours).

    When anything is due, first reminders falling due within `group_within` join it, so
    drafts made a moment apart (a panel) arrive as one digest instead of a burst; their
    later reminders then stay in step.
    """
    if in_quiet_hours(now, quiet, zone):
        return []
    timed = [(s, upcoming(s, now, quiet, zone)) for s in subjects]
    if not any(t is not None and t <= now for _, t in timed):
        return []
    return [s for s, t in timed if t is not None and (
        t <= now or (s.history.count == 0 and t <= now + group_within))]


def _expired(schedule: Schedule, now: datetime, quiet: QuietHours | None,
             zone: tzinfo) -> bool:
    """Its last moment passed a while ago (the daemon was stopped, the laptop asleep):
    a reminder now would come after the deadline, so none comes at all. A subject that
    appeared after its deadline (a late draft) has its one reminder all the same."""
    if schedule.final_at is None:
        return False
    final = last_allowed(schedule.final_at, quiet, zone)
    return final >= schedule.start and now > final + LATE


# How late the deadline reminder may still go out (a busy or just-resumed daemon).
LATE = timedelta(minutes=15)


def group_window(config: RemindersConfig) -> timedelta:
    """How close first reminders must be to share a digest: small next to the rhythm."""
    return min(config.after, config.every, timedelta(minutes=10))


def upcoming(subject: Subject, now: datetime, quiet: QuietHours | None,
             zone: tzinfo) -> datetime | None:
    """`next_reminder` as of `now`: None once the subject's last moment is long past."""
    if _expired(subject.schedule, now, quiet, zone):
        return None
    return next_reminder(subject.schedule, subject.history, quiet, zone)


def when_sent(moment: datetime, now: datetime, quiet: QuietHours | None,
              zone: tzinfo) -> datetime:
    """When a reminder due at `moment` actually goes out: never in the past (what is due
    goes at once), and never in quiet hours."""
    moment = max(moment, now)
    if quiet is not None and in_quiet_hours(moment, quiet, zone):
        moment = quiet_end(moment, quiet, zone)
    return moment


def earliest(subjects: list[Subject], now: datetime, quiet: QuietHours | None,
             zone: tzinfo) -> datetime | None:
    """When the next reminder of any subject falls due (None: no reminder planned)."""
    times = [t for s in subjects if (t := upcoming(s, now, quiet, zone)) is not None]
    return min(times) if times else None


def draft_subject(draft: DraftRecord, interview: Interview | None, reminders: RemindersConfig,
                  zone: tzinfo, letter: str = "") -> Subject | None:
    """A draft still waiting in Drafts; None once it is sent, discarded, gone or dismissed.
    `letter`: the path of its printable letter, when [letters] auto wrote one."""
    if draft.state is not DraftState.DRAFTED or draft.created_at is None:
        return None
    deadline = later(interview.end if interview else draft.created_at, reminders.deadline)
    what = _interview_label(interview, zone)
    return Subject(
        kind=Kind.DRAFT,
        key=draft.key,
        label=f"{draft.recipient_name or 'an interviewer'}{' — ' + what if what else ''}",
        schedule=Schedule(draft.created_at, reminders.after, reminders.every, deadline),
        history=History(draft.last_reminded_at, draft.reminders_sent, draft.snoozed_until),
        deadline=deadline,
        ref=draft.key,
        ask=draft.kind is DraftKind.ASK_NAMES,
        letter=letter,
    )


def names_subject(interview: Interview, history: History, drafts: DraftsConfig,
                  reminders: RemindersConfig, zone: tzinfo) -> Subject | None:
    """An interview with nobody to write to: from when its drafts were due to the deadline."""
    if interview.status is not InterviewStatus.NAMES_NEEDED:
        return None
    deadline = later(interview.end, reminders.deadline)
    return Subject(
        kind=Kind.NAMES,
        key=interview.event_id,
        label=_interview_label(interview, zone) or "an interview",
        schedule=Schedule(later(interview.end, drafts.delay), timedelta(0), reminders.every,
                          deadline),
        history=history,
        deadline=deadline,
        ref=f"names:{interview.account}:{interview.event_id}",
    )


def cap_subject(interview: Interview, history: History, drafts: DraftsConfig,
                reminders: RemindersConfig, cap: int, zone: tzinfo) -> Subject | None:
    """An interview with more recipients than the cap: nothing is drafted until the user
    raises the cap or excludes someone; reminded like names needed."""
    if interview.status is not InterviewStatus.TOO_MANY:
        return None
    deadline = later(interview.end, reminders.deadline)
    count = sum(1 for p in interview.interviewers if p.email)
    return Subject(
        kind=Kind.CAP,
        key=interview.event_id,
        label=f"{_interview_label(interview, zone) or 'an interview'}: {count} recipients, "
              f"more than recipients.max_per_interview = {cap}",
        schedule=Schedule(later(interview.end, drafts.delay), timedelta(0), reminders.every,
                          deadline),
        history=history,
        deadline=deadline,
        ref=f"cap:{interview.account}:{interview.event_id}",
    )


def cap_advice(count: int, cap: int, event_id: str) -> str:
    """What to do about an interview over recipients.max_per_interview (status, digest)."""
    return (f"{count} recipients, more than recipients.max_per_interview = {cap}: raise it "
            f"to {count} in the config, or leave out who should not get a note with "
            "recipients.exclude_domains; the next cycle then drafts. No notes for it: "
            f"`afterword done {event_id}`.")


def reauth_subject(account: str, since: datetime, history: History,
                   reminders: RemindersConfig) -> Subject:
    """An account whose sign-in expired: nothing is drafted until it is renewed."""
    return Subject(
        kind=Kind.REAUTH,
        key=f"auth:{account}",
        label=account,
        schedule=Schedule(since, timedelta(0), reminders.every, None),
        history=history,
        ref=f"auth:{account}",
    )


def held_subject(count: int, since: datetime, history: History,
                 reminders: RemindersConfig, line: str) -> Subject:
    """Interviews the daily cap on new drafts keeps back: asked about until they fit."""
    return Subject(
        kind=Kind.HELD,
        key="held",
        label=line,
        schedule=Schedule(since, timedelta(0), reminders.every, None),
        history=history,
        ref="held",
    )


def digest(subjects: list[Subject], zone: tzinfo) -> Notice:
    """One message for everything due (several pending drafts make one digest)."""
    drafts = [s for s in subjects if s.kind is Kind.DRAFT and not s.ask]
    asks = [s for s in subjects if s.kind is Kind.DRAFT and s.ask]
    names = [s for s in subjects if s.kind is Kind.NAMES]
    reauth = [s for s in subjects if s.kind is Kind.REAUTH]
    capped = [s for s in subjects if s.kind is Kind.CAP]
    held = [s for s in subjects if s.kind is Kind.HELD]
    titles, lines = [], []
    if drafts:
        titles.append("a thank-you note is waiting in Drafts" if len(drafts) == 1
                      else f"{len(drafts)} thank-you notes are waiting in Drafts")
        for s in drafts:
            by = f" (send by {_when(s.deadline, zone)})" if s.deadline else ""
            paper = f"; the letter to print: {s.letter}" if s.letter else ""
            lines.append(f"• {s.label}{by}{paper}")
    if asks:
        titles.append("a note asking for the names is waiting to be sent" if len(asks) == 1
                      else f"{len(asks)} notes asking for names are waiting to be sent")
        for s in asks:
            lines.append(f"• Asking {s.label} for the names of the people you met: send it, "
                         "then add them with `afterword add-interviewer`.")
    if drafts or asks:
        lines.append("Send them from your mail app; Afterword notices. "
                     "Not sending one: `afterword done KEY`; later: `afterword snooze KEY 4h` "
                     f"(keys: {', '.join(s.key for s in (*drafts, *asks))}).")
    if names:
        titles.append("names needed" if len(names) == 1
                      else f"names needed for {len(names)} interviews")
        for s in names:
            lines.append(f"• Names needed for {s.label}: ask the receptionist or HR for their "
                         f"names, then `afterword add-interviewer {s.key} \"Name <address>\"`.")
    if capped:
        titles.append("confirm who gets a note" if len(capped) == 1
                      else f"confirm who gets a note for {len(capped)} interviews")
        for s in capped:
            lines.append(f"• No notes drafted for {s.label}: raise the cap in the config, or "
                         "leave people out with recipients.exclude_domains; the next cycle "
                         f"then drafts. No notes for it: `afterword done {s.key}`.")
    if reauth:
        titles.append("sign in again" if len(reauth) == 1
                      else f"{len(reauth)} accounts need you to sign in again")
        for s in reauth:
            lines.append(f"• Account {s.label} needs you to sign in again: "
                         f"run `afterword auth {s.label}`.")
    for s in held:
        titles.append("drafting paused")
        lines.append(f"• {s.label}.")
    title = "Afterword: " + "; ".join(titles)
    return Notice(title=title, body="\n".join(lines), subjects=tuple(subjects))


def _interview_label(interview: Interview | None, zone: tzinfo) -> str:
    if interview is None:
        return ""
    title = " ".join(interview.title.split())[:80]
    return f"{title} ({_when(interview.start, zone)})"


def _when(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M") if moment else "-"
