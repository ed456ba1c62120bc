"""Rewriting drafts in place after a correction (`afterword redraft KEY|EVENT_ID`).

A draft is rewritten only while it is still in Drafts exactly as Afterword wrote it: the
mailbox's version marker of the draft (Gmail's message id, Graph's changeKey, a Maildir
file's name, size and time) must equal the one recorded when Afterword wrote it. An
edited, sent or deleted draft is left alone, with one line saying why.

Each rewrite is one all-or-nothing mailbox operation on the same draft (drafts.update,
PATCH, an atomic rename), so a crash can never leave two drafts for one key. A crash
after the rewrite but before it is recorded leaves the old version in the state: a later
redraft then takes the draft for edited and leaves it alone, which is the safe side.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from afterword.daemon.config import AccountConfig
from afterword.daemon.drafting.compose import compose_interview
from afterword.daemon.errors import TemplateError, UsageError
from afterword.daemon.interviews.asking import ask_and_job
from afterword.daemon.interviews.planning import plan_interview
from afterword.daemon.model import (
    DraftKind,
    DraftRecord,
    DraftState,
    Interview,
    InterviewStatus,
)
from afterword.daemon.runtime.cycle import Cycle
from afterword.providers.base import DraftRef, MailboxState

log = logging.getLogger(__name__)

MIN_PREFIX = 4  # as `done` and `snooze`: shorter prefixes match by chance


@dataclass(frozen=True)
class Outcome:
    """What became of one draft."""

    key: str
    recipient: str
    rewritten: bool
    detail: str

    def line(self) -> str:
        """One line for the user."""
        return f"{self.key} {self.recipient}: {self.detail}"


def redraft(cycle: Cycle, target: str) -> list[Outcome]:
    """Rewrite the unedited drafts of one interview (an event id) or one draft (a key)."""
    interview, wanted = _resolve(cycle, target.strip())
    account = _account(cycle, interview)
    now = cycle.clock()
    event = cycle.store.interview_event(account.name, interview.event_id)
    if event is not None:
        # The interview as it would be planned now: a config edit, an added interviewer,
        # a note (`afterword note`) or a correction takes effect before the notes are
        # composed again.
        manual = cycle.store.manual_interviewers(account.name, interview.event_id)
        fix = cycle.store.title_fix(account.name, interview.event_id)
        planned = plan_interview(event, cycle.config, cycle.my_emails(account), manual, fix,
                                 cycle.store.user_notes(account.name, interview.event_id))
        if planned is not None and planned != interview:
            cycle.store.save_interview(planned, event, now)
            interview = planned
    provider = cycle.provider(account)
    mailbox = provider.mailbox()
    from_address = provider.address() or (cycle.config.me.emails or ("",))[0]
    # The ask for names is composed again too, so a fixed template reaches it as well.
    ask, job = ask_and_job(event, interview, cycle.config, cycle.my_emails(account))
    try:
        composed = compose_interview(cycle.config, cycle.templates, account.name, interview,
                                     from_address=from_address, now=now, ask=ask, job=job)
    except TemplateError as err:
        raise UsageError(f"interview {interview.event_id}: {err}") from None
    notes = {d.key.id: d for d in [*composed.drafts, *([composed.ask] if composed.ask else [])]}
    records = [r for r in cycle.store.drafts_for_event(account.name, interview.event_id)
               if wanted is None or r.key == wanted]
    open_refs = {r.key: DraftRef(r.provider_id, r.thread_id) for r in records
                 if r.state in (DraftState.DRAFTED, DraftState.DISMISSED) and r.provider_id}
    states = mailbox.draft_states(open_refs) if open_refs else {}
    send_by = interview.end + cycle.config.reminders.deadline
    outcomes = []
    for record in records:
        status = states.get(record.key)
        left = _left_alone(record, status.state if status else None)
        if left:
            outcomes.append(Outcome(record.key, record.recipient, False, left))
            continue
        assert status is not None and record.provider_id is not None
        moved = status.ref
        ref = DraftRef(moved.provider_id if moved else record.provider_id,
                       (moved.thread_id if moved else None) or record.thread_id,
                       record.version)
        note = notes.get(record.key)
        if note is None:
            outcomes.append(Outcome(record.key, record.recipient, False, (
                "left alone: the names it asks for are no longer missing"
                if record.kind is DraftKind.ASK_NAMES else
                "left alone: no longer an interviewer of this interview")))
            continue
        if mailbox.draft_version(ref) != record.version:
            outcomes.append(Outcome(record.key, record.recipient, False,
                                    "left alone: you edited it since Afterword wrote it"))
            continue
        new = mailbox.replace_draft(ref, record.key, note.message, send_by=send_by)
        cycle.store.record_redrafted(record.key, new.provider_id, new.thread_id, new.version)
        log.info("account %s: draft %s rewritten", account.name, record.key)
        outcomes.append(Outcome(record.key, record.recipient, True, "rewritten"))
    if wanted is None:
        drafted = {r.key for r in records}
        for key, note in notes.items():
            if key not in drafted:
                outcomes.append(Outcome(key, note.key.recipient, False,
                                        "no draft yet: the next cycle writes it"))
    return outcomes


def _left_alone(record: DraftRecord, state: MailboxState | None) -> str:
    """Why this draft is not rewritten ("" when it may be)."""
    if record.state in (DraftState.PLANNED, DraftState.FAILED):
        return "not written yet: the next cycle writes it with the new text"
    if record.state in (DraftState.SENT, DraftState.DISCARDED, DraftState.GONE):
        return f"left alone: {record.state.value}"
    if state is not MailboxState.OPEN:
        return "left alone: no longer in Drafts (sent or deleted)"
    if record.version is None:
        return ("left alone: written before Afterword could tell an edited draft from an "
                "unedited one; edit it by hand")
    return ""


def _resolve(cycle: Cycle, target: str) -> tuple[Interview, str | None]:
    """The interview meant, and the one draft key if a key was given."""
    if not target:
        raise UsageError("give a draft key or an event id (see `afterword status`)")
    store = cycle.store
    record = store.draft(target)
    keys = [target] if record else (store.find_draft_keys(target)
                                    if len(target) >= MIN_PREFIX else [])
    interviews = store.find_interviews(target)
    if interviews and not record:
        if len(interviews) > 1:
            raise UsageError(f"{target!r} matches interviews in several accounts; "
                             "give the key of one draft")
        return interviews[0], None
    if len(keys) > 1:
        raise UsageError(f"'{target}' matches {len(keys)} drafts: {', '.join(keys)}")
    if keys:
        found = store.draft(keys[0])
        assert found is not None
        interview = store.interview(found.account, found.event_id)
        if interview is not None:
            return interview, found.key
    raise UsageError(f"no draft or interview '{target}' (`afterword status` lists them)")


def _account(cycle: Cycle, interview: Interview) -> AccountConfig:
    if interview.status is InterviewStatus.CANCELLED:
        raise UsageError(f"interview {interview.event_id} was cancelled: nothing to redraft")
    for account in cycle.config.accounts:
        if account.name == interview.account:
            return account
    raise UsageError(f"interview {interview.event_id} belongs to account "
                     f"'{interview.account}', which is no longer in the config")
