"""How long to wait before trying a request again: Retry-After, else exponential backoff.

One implementation for every HTTP provider. Retry-After (RFC 9110 §10.2.3) is either a
number of seconds or an HTTP date; a value that is neither is ignored (backoff applies).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait as a Retry-After header value says (never negative); None if absent
    or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError, OverflowError):
        return None


def backoff(attempt: int, retry_after: float | None, *, first: float, cap: float,
            jitter: bool = False) -> float:
    """The wait before attempt `attempt + 1`: the server's hint when it gave one, else
    `first` doubled per attempt up to `cap` (with jitter, between half and all of it)."""
    if retry_after is not None:
        return float(retry_after)
    delay = min(cap, first * 2 ** (attempt - 1))
    return delay * (0.5 + random.random() / 2) if jitter else delay
