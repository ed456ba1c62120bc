"""One rule for every provider's event translator: an odd event is one clear InputError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from afterword.daemon.errors import InputError, one_line
from afterword.daemon.model import CalendarEvent


def translate_or_input_error(kind: str, item: Mapping[str, Any],
                             translate: Callable[[], CalendarEvent]) -> CalendarEvent:
    """Run `translate`; any failure on the stranger's data becomes a one-line InputError.

    Fields of an unexpected type (a proxy, an API change, a hand-made event) make an
    InputError too, so one odd event is skipped and never stops the account.
    """
    try:
        event = translate()
    except InputError as err:
        # The message quotes the stranger's data (its id): one line, so a log line
        # cannot be forged with it.
        raise InputError(one_line(err, 300)) from None
    except (AttributeError, TypeError, ValueError, KeyError) as err:
        ident = item.get("id") if isinstance(item, Mapping) else None
        raise InputError(f"{kind} event {one_line(ident, 80)!r}: "
                         f"unexpected data ({type(err).__name__})") from None
    return event
