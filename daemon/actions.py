"""`afterword done` and `afterword snooze`: the user tells the reminders to stop or wait."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from afterword.daemon import remind
from afterword.daemon.durations import parse_duration
from afterword.daemon.errors import UsageError
from afterword.daemon.model import DraftState, InterviewStatus
from afterword.daemon.store import Store


def _resolve(store: Store, key: str) -> tuple[str, str]:
    """("draft", key) or ("names", subject row) for what the user typed (a prefix works)."""
    key = key.strip()
    if not key:
        raise UsageError("give the key shown by `afterword status`")
    exact = store.draft(key)
    keys = [key] if exact is not None else store.find_draft_keys(key)
    if len(keys) > 1:
        raise UsageError(f"'{key}' matches {len(keys)} drafts: type more of the key")
    if keys:
        return "draft", keys[0]
    interviews = [i for i in store.find_interviews(key)
                  if i.status is InterviewStatus.NAMES_NEEDED]
    if len(interviews) == 1:
        return "names", f"names:{interviews[0].account}:{interviews[0].event_id}"
    if len(interviews) > 1:
        raise UsageError(f"'{key}' matches {len(interviews)} interviews: type more of the id")
    raise UsageError(f"no draft (or interview waiting for names) with key '{key}'; "
                     "`afterword status` lists them")


def done(store: Store, key: str, now: datetime) -> str:
    """Dismiss a draft (or a names-needed interview): no more reminders about it."""
    kind, ref = _resolve(store, key)
    if kind == "names":
        remind.dismiss_subject(store, ref)
        return "ok: no more reminders about names for that interview"
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
    if kind == "names":
        remind.snooze_subject(store, ref, until)
    else:
        record = store.draft(ref)
        assert record is not None
        if record.state.is_final:
            return f"draft {ref} is already {record.state.value}: nothing to remind about"
        store.snooze(ref, until)
    local = until.astimezone(zone).strftime("%a %d %b %H:%M")
    return f"ok: no reminder about {ref if kind == 'draft' else 'that interview'} before {local}"
