"""`afterword done` and `afterword snooze`: the user tells the reminders to stop or wait."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from afterword.daemon.durations import parse_duration
from afterword.daemon.errors import UsageError
from afterword.daemon.model import DraftState, Interview, InterviewStatus
from afterword.daemon.runtime.store import Store

# A shorter prefix matches too much by chance (`snooze d 1h` once snoozed another draft).
MIN_PREFIX = 4
# Interviews that are reminded about themselves (not through their drafts).
_REMINDED = {InterviewStatus.NAMES_NEEDED: "names", InterviewStatus.TOO_MANY: "cap"}


def _interview_ref(interview: Interview) -> str:
    return f"{_REMINDED[interview.status]}:{interview.account}:{interview.event_id}"


def _resolve(store: Store, key: str) -> tuple[str, str]:
    """("draft", key) or ("interview", subject row) for what the user typed.

    In order: an exact draft key, an exact event id, then a unique prefix (at least
    MIN_PREFIX characters) of either; anything ambiguous is refused with the candidates.
    """
    key = key.strip()
    if not key:
        raise UsageError("give the key shown by `afterword status`")
    if store.draft(key) is not None:
        return "draft", key
    reminded = [i for i in store.interviews() if i.status in _REMINDED]
    exact = [i for i in reminded if i.event_id == key]
    if len(exact) == 1:
        return "interview", _interview_ref(exact[0])
    if len(exact) > 1:
        raise UsageError(f"'{key}' is an interview in {len(exact)} accounts "
                         f"({', '.join(i.account for i in exact)}): "
                         "use the key of one of its drafts")
    if len(key) < MIN_PREFIX:
        raise UsageError(f"'{key}' is too short: type at least {MIN_PREFIX} characters "
                         "of a key shown by `afterword status`")
    drafts = store.find_draft_keys(key)
    interviews = [i for i in reminded if i.event_id.startswith(key)]
    if len(drafts) + len(interviews) == 1:
        if drafts:
            return "draft", drafts[0]
        return "interview", _interview_ref(interviews[0])
    if drafts or interviews:
        candidates = [*drafts, *(i.event_id for i in interviews)]
        raise UsageError(f"'{key}' matches {len(candidates)}: {', '.join(candidates)}; "
                         "type more of the key")
    raise UsageError(f"no draft (or interview waiting for names) with key '{key}'; "
                     "`afterword status` lists them")


def done(store: Store, key: str, now: datetime) -> str:
    """Dismiss a draft (or a names-needed interview): no more reminders about it."""
    kind, ref = _resolve(store, key)
    if kind == "interview":
        store.dismiss_subject(ref)
        what = "names for" if ref.startswith("names:") else "confirming"
        return f"ok: no more reminders about {what} that interview"
    record = store.draft(ref)
    assert record is not None
    if record.state.is_final:
        return f"draft {ref} is already {record.state.value}: nothing to remind about"
    store.close_draft(ref, DraftState.DISMISSED, now)
    return f"ok: no more reminders about draft {ref} (to {record.recipient_name or 'them'})"


def snooze(store: Store, key: str, duration: str, now: datetime, zone: tzinfo) -> str:
    """No reminder about a draft (or names-needed interview) for `duration`."""
    try:
        delta = parse_duration(duration)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if delta <= timedelta(0):
        raise UsageError("the snooze must be longer than 0s")
    kind, ref = _resolve(store, key)
    until = now + delta
    if kind == "interview":
        store.snooze_subject(ref, until)
    else:
        record = store.draft(ref)
        assert record is not None
        if record.state.is_final:
            return f"draft {ref} is already {record.state.value}: nothing to remind about"
        store.snooze(ref, until)
    local = until.astimezone(zone).strftime("%a %d %b %H:%M")
    return f"ok: no reminder about {ref if kind == 'draft' else 'that interview'} before {local}"
