"""One rule for every provider's event translator: an odd event is one clear InputError."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from afterword.daemon.errors import InputError
from afterword.daemon.model import CalendarEvent

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str, limit: int = 300) -> str:
    """A stranger's text made safe for one log line: control characters become spaces."""
    return _CONTROLS.sub(" ", text)[:limit]


def translate_or_input_error(kind: str, item: Mapping[str, Any],
                             translate: Callable[[], CalendarEvent]) -> CalendarEvent:
    """Run `translate`; any failure on the stranger's data becomes a one-line InputError.

    Fields of an unexpected type (a proxy, an API change, a hand-made event) make an
    InputError too, so one odd event is skipped and never stops the account.
    """
    try:
        return translate()
    except InputError as err:
        # The message quotes the stranger's data (its id): one line, so a log line
        # cannot be forged with it.
        raise InputError(one_line(str(err))) from None
    except (AttributeError, TypeError, ValueError, KeyError) as err:
        ident = item.get("id") if isinstance(item, Mapping) else None
        raise InputError(f"{kind} event {one_line(str(ident), 80)!r}: "
                         f"unexpected data ({type(err).__name__})") from None
