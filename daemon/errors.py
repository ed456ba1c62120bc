"""One exception tree for everything Afterword reports to the user."""

from __future__ import annotations

import re
from collections.abc import Sequence


class AfterwordError(Exception):
    """An error the user should see as one clear line, never a traceback."""

    exit_status = 1


class ConfigError(AfterwordError):
    """The configuration is invalid; carries every problem found, each with its dotted path."""

    exit_status = 2

    def __init__(self, problems: Sequence[str], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        """All problems, one per line, headed by the file they come from."""
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{head}{self.problems[0]}"
        lines = [f"{head}{len(self.problems)} problems:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class UsageError(AfterwordError):
    """The command line asked for something that cannot be done (exit status 2)."""

    exit_status = 2


class ProviderError(AfterwordError):
    """A calendar or mailbox failed in a way that is not worth retrying as is."""


class TransientError(ProviderError):
    """A fault that may clear by itself (timeouts, 5xx, throttling): retry later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthExpired(ProviderError):
    """The account's sign-in was revoked or expired: the user must run `afterword auth`."""

    def __init__(self, account: str, detail: str = "") -> None:
        self.account = account
        self.detail = detail
        tail = f" ({detail})" if detail else ""
        super().__init__(
            f"account '{account}' needs to sign in again{tail}: run `afterword auth {account}`"
        )


class SyncTokenExpired(ProviderError):
    """The provider forgot our incremental-sync cursor: a full window resync is needed."""


class SecretsUnavailable(AfterwordError):
    """No usable credential store (e.g. no Secret Service on a headless host)."""


class TemplateError(AfterwordError):
    """A template failed to load or render; names the template and the line."""


class InputError(AfterwordError):
    """Input from outside (an .ics file, an invite) could not be read."""


# Line breaks of every kind (CR, LF, NEL, LINE/PARAGRAPH SEPARATOR) and the other C0/C1
# controls: in a stranger's text they could forge a log line or a mail header.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: object, limit: int = 200) -> str:
    """`text` as one printable line: controls become spaces, runs of space one, at most
    `limit` characters."""
    return " ".join(CONTROL_CHARS.sub(" ", str(text)).split())[:limit]
