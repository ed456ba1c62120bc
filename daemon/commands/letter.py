"""`afterword letter EVENT_ID [--out DIR] [--card]`: one PDF per interviewer, paths printed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from afterword.daemon.commands.add_interviewer import stored_interview
from afterword.daemon.errors import AfterwordError, UsageError
from afterword.daemon.letters import write_letters
from afterword.daemon.model import InterviewStatus
from afterword.daemon.runtime.cycle import Cycle


def letters(cycle: Cycle, event_id: str, out: Path, card: bool, now: datetime) -> list[Path]:
    """Write the interview's letters (or cards) into `out`; the paths written."""
    interview, _ = stored_interview(cycle, event_id)
    if interview.status is InterviewStatus.CANCELLED:
        raise UsageError(f"interview {interview.event_id} was cancelled or removed")
    if not interview.interviewers:
        raise UsageError(f"no interviewer is known for {interview.event_id} yet: name them "
                         f"with `afterword add-interviewer {interview.event_id} "
                         "\"Name <address>\"`")
    try:
        return write_letters(cycle.config, cycle.templates, interview, now, out, card=card)
    except OSError as err:
        raise AfterwordError(f"cannot write the letters into {out}: "
                             f"{err.strerror or err}") from None
