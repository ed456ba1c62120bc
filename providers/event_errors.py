"""One rule for every provider's event translator: an odd event is one clear InputError."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, ParamSpec

from afterword.daemon.errors import InputError, one_line
from afterword.daemon.model import CalendarEvent

P = ParamSpec("P")


Translator = Callable[Concatenate[Mapping[str, Any], P], CalendarEvent]


def input_errors(kind: str) -> Callable[[Translator[P]], Translator[P]]:
    """Decorate a translator of `kind` ("Google", "Graph") events: any failure on the
    stranger's data becomes a one-line InputError.

    Fields of an unexpected type (a proxy, an API change, a hand-made event) make an
    InputError too, so one odd event is skipped and never stops the account.
    """
    def decorate(translate: Translator[P]) -> Translator[P]:
        @functools.wraps(translate)
        def translated(item: Mapping[str, Any], /, *args: P.args,
                       **kwargs: P.kwargs) -> CalendarEvent:
            try:
                return translate(item, *args, **kwargs)
            except InputError as err:
                # The message quotes the stranger's data (its id): one line, so a log line
                # cannot be forged with it.
                raise InputError(one_line(err, 300)) from None
            except (AttributeError, TypeError, ValueError, KeyError) as err:
                ident = item.get("id") if isinstance(item, Mapping) else None
                raise InputError(f"{kind} event {one_line(ident, 80)!r}: "
                                 f"unexpected data ({type(err).__name__})") from None
        return translated
    return decorate
