"""provider = "microsoft": Microsoft 365 and Outlook.com through Microsoft Graph."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from afterword.providers.base import OptionReader, ProviderSpec


@dataclass(frozen=True)
class MicrosoftOptions:
    """A Microsoft account's keys."""

    client_id: str = ""
    authority: str = "https://login.microsoftonline.com/common"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    calendars: tuple[str, ...] = ()  # empty: the user's default calendar
    flag_drafts: bool = False
    timeout: timedelta = timedelta(seconds=60)  # per request, before it counts as failed


def read_options(t: OptionReader) -> MicrosoftOptions:
    """The Microsoft account's keys from its config table."""
    d = MicrosoftOptions()
    return MicrosoftOptions(
        client_id=t.string("client_id", "", required=True),
        authority=t.url("authority", d.authority, https=True),
        graph_endpoint=t.url("graph_endpoint", d.graph_endpoint).rstrip("/"),
        calendars=t.strings("calendars", d.calendars),
        flag_drafts=t.boolean("flag_drafts", d.flag_drafts),
        timeout=t.duration("timeout", d.timeout, timedelta(seconds=1)),
    )


SPEC = ProviderSpec("microsoft", "afterword.providers.microsoft.provider:MicrosoftProvider",
                    read_options, signs_in=True)
