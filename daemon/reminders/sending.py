"""The reminder shell: read subjects from the state, ask the policy, send, record.

The policies (`policy`, and `capture` for the nudges around an interview) are pure; this
module is the I/O around them. Subjects other than drafts (names needed, accounts needing
re-auth) keep their history in the `reminder_subjects` table; drafts keep theirs in their
own row; the nudges are recorded in `capture_notices`, once each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from afterword.daemon.config import Config
from afterword.daemon.model import (
    DraftKind,
    DraftRecord,
    DraftState,
    Interview,
    InterviewStatus,
    later,
)
from afterword.daemon.reminders import capture, channels, policy
from afterword.daemon.reminders.policy import History, Kind, Notice, Subject
from afterword.daemon.runtime import limits
from afterword.daemon.runtime.store import Store

log = logging.getLogger(__name__)


def subject_history(store: Store, subject: str) -> History:
    """The stored reminder history of a non-draft subject."""
    stored = store.subject_history(subject)
    return History(*stored) if stored is not None else History()



def subjects(config: Config, store: Store, now: datetime | None = None) -> list[Subject]:
    """Everything that may deserve a reminder, as the state stands (with `now`, also
    interviews that the daily cap on new drafts keeps back)."""
    zone, rem = config.me.timezone, config.reminders
    found: list[Subject] = []
    # An account removed from the config is not watched any more: no reminders about it.
    configured = {a.name for a in config.accounts}
    interviews = {(i.account, i.event_id): i for i in store.interviews()
                  if i.account in configured}
    asking: set[tuple[str, str]] = set()  # interviews whose ask for names waits in Drafts
    for draft in store.drafts(states=[DraftState.DRAFTED]):
        if draft.account not in configured:
            continue
        interview = interviews.get((draft.account, draft.event_id))
        if draft.kind is DraftKind.ASK_NAMES:
            asking.add((draft.account, draft.event_id))
        subject = policy.draft_subject(draft, interview, rem, zone,
                                       letter=_letter(config, interview, draft))
        if subject is not None:
            found.append(subject)
    for interview in interviews.values():
        if (interview.account, interview.event_id) in asking:
            continue  # the ask's own reminder says what to do
        if interview.status is InterviewStatus.NAMES_NEEDED:
            history = subject_history(store, f"names:{interview.account}:{interview.event_id}")
            names = policy.names_subject(interview, history, config.drafts, rem, zone)
            if names is not None:
                found.append(names)
        elif interview.status is InterviewStatus.TOO_MANY:
            history = subject_history(store, f"cap:{interview.account}:{interview.event_id}")
            capped = policy.cap_subject(interview, history, config.drafts, rem,
                                           config.recipients.max_per_interview, zone)
            if capped is not None:
                found.append(capped)
    for account in store.accounts():
        if account.needs_reauth and account.name in configured:
            since = account.last_error_at or account.synced_at
            if since is not None:
                found.append(policy.reauth_subject(
                    account.name, since, subject_history(store, f"auth:{account.name}"), rem))
    if now is not None:
        held = limits.held(store, config, now, sorted(configured))
        if held:
            since = later(min(i.end for i in held), config.drafts.delay)
            found.append(policy.held_subject(len(held), since, subject_history(store, "held"),
                                             rem, limits.held_line(len(held), config)))
    return found


def _letter(config: Config, interview: Interview | None, draft: DraftRecord) -> str:
    """The letter [letters] auto wrote beside this thank-you draft, if it is there."""
    folder = config.letters.dir
    if not config.letters.auto or folder is None or interview is None or (
            draft.kind is not DraftKind.THANKS):
        return ""
    from afterword.daemon.letters import letter_path

    person = next((p for p in interview.interviewers if p.email == draft.recipient), None)
    if person is None:
        return ""
    path = letter_path(folder, interview, person, False, config.me.timezone)
    return str(path) if path.exists() else ""


def send_due(config: Config, store: Store, now: datetime,
             refresh: Callable[[set[str]], object] | None = None,
             send: Callable[[Notice], object] | None = None) -> int:
    """Send one digest of everything due now; returns how many subjects it covered.

    `refresh(accounts)` checks those accounts' mailboxes first (the daemon passes the
    cycle's tracking): a draft sent since the last poll is then not reminded about.
    `send(notice)` hands the digest to the channels; the daemon's returns at once (its
    `Outbox` delivers in another thread), the default delivers before returning.
    """
    if not config.reminders.channels:
        return 0  # reminders turned off (`channels = []`)
    zone, quiet = config.me.timezone, config.reminders.quiet_hours
    for account in store.accounts():
        if not account.needs_reauth:
            # Signed in again: a later expiry starts a fresh series of reminders.
            store.forget_subject(f"auth:{account.name}")
    window = policy.group_window(config.reminders)
    current = subjects(config, store, now)
    if not any(s.kind is Kind.HELD for s in current):
        store.forget_subject("held")  # the hold is over: a later one asks afresh
    due = policy.due(current, now, quiet, zone, window)
    if due and refresh is not None:
        owner = {d.key: d.account for d in store.drafts(states=[DraftState.DRAFTED])}
        accounts = {owner[s.ref] for s in due if s.kind is Kind.DRAFT and s.ref in owner}
        if accounts:
            refresh(accounts)
            due = policy.due(subjects(config, store, now), now, quiet, zone, window)
    if not due:
        return 0
    notice = policy.digest(due, zone)
    # Recorded whatever the channels do: a failure is retried at the next reminder, not
    # every minute.
    with store.transaction():
        store.record_reminded([s.key for s in due if s.kind is Kind.DRAFT], now)
        store.record_subjects_reminded([s.ref for s in due if s.kind is not Kind.DRAFT], now)
    if send is None:
        channels.deliver(config.reminders.channels, notice)
    else:
        send(notice)
    return len(due)


def next_due(config: Config, store: Store, now: datetime) -> datetime | None:
    """When the next reminder falls due, for the scheduler (None: nothing to send)."""
    if not config.reminders.channels:
        return None
    return policy.earliest(subjects(config, store, now), now, config.reminders.quiet_hours,
                              config.me.timezone)


def _nudges(config: Config, store: Store, now: datetime) -> list[capture.Nudge]:
    if not config.reminders.channels:
        return []  # reminders turned off (`channels = []`): no channel to nudge on
    configured = {a.name for a in config.accounts}
    recent = store.interviews_ending_after(now - capture.ENDED_FOR)
    return capture.pending([i for i in recent if i.account in configured],
                           store.capture_notices_sent(), config.capture,
                           config.reminders.quiet_hours, config.me.timezone, now)


def send_nudges(config: Config, store: Store, now: datetime,
                send: Callable[[Notice], object] | None = None) -> int:
    """Send the nudges due now (names at an interview's start, notes at its end), each
    once; returns how many went out. `send` as for `send_due`: the daemon's hands the
    notice to its Outbox, so a stuck channel never holds up drafting."""
    due = capture.due(_nudges(config, store, now), now)
    last = store.last_ended_interviews(now) if due else []
    sent = 0
    for nudge in due:
        interview = nudge.interview
        # Claimed before it is sent: a crash or a restart never sends it twice.
        with store.transaction():
            if not store.claim_capture_notice(interview.account, interview.event_id,
                                              nudge.kind.value, now):
                continue
        ref = "last" if [(i.account, i.event_id) for i in last] == [
            (interview.account, interview.event_id)] else interview.event_id
        notice = capture.notice(nudge, ref, config.drafts, config.me.timezone, now)
        if send is None:
            delivered = channels.deliver(config.reminders.channels, notice)
            log.info("%s notice about interview %s sent on %d of %d channel(s)",
                     "start" if nudge.kind is Kind.STARTS else "end", interview.event_id,
                     delivered, len(config.reminders.channels))
        else:
            send(notice)
        sent += 1
    return sent


def next_nudge(config: Config, store: Store, now: datetime) -> datetime | None:
    """When the next nudge falls due, for the scheduler (None: nothing to send)."""
    return capture.earliest(_nudges(config, store, now))
