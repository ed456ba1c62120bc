"""The CalDAV client and its faults, mapped once to Afterword's errors.

python-caldav (with niquests under it) raises its own `DAVError` family for HTTP
statuses and the HTTP library's exceptions for the wire. `CalDavFaults.mapped()` turns
each into one line naming the account and the server: a 401 is `AuthExpired` (the
account needs sign-in), 5xx, 429, timeouts and dropped connections are transient, an
untrusted certificate or a 403 is not worth retrying as is.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from caldav.elements.base import ValuedBaseElement

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError, one_line
from afterword.providers.retry import parse_retry_after

log = logging.getLogger(__name__)


class GetCtag(ValuedBaseElement):
    """CalendarServer's `getctag`: changes whenever anything in the calendar changes."""

    tag: ClassVar[str] = "{http://calendarserver.org/ns/}getctag"


@dataclass(frozen=True)
class CalDavFaults:
    """Maps what the client raises to our errors, naming `account` and `server`."""

    account: str
    server: str  # host[:port] of the CalDAV URL

    @classmethod
    def for_url(cls, account: str, url: str) -> CalDavFaults:
        """The mapper for a CalDAV URL (errors name its host and port)."""
        parts = urlsplit(url)
        return cls(account, parts.netloc.rsplit("@", 1)[-1] or url)

    def where(self) -> str:
        """The head of every error line."""
        return f"account '{self.account}': CalDAV {self.server}"

    @contextlib.contextmanager
    def mapped(self) -> Iterator[None]:
        """Run the block; re-raise whatever the client raised as one of our errors."""
        try:
            yield
        except (AuthExpired, TransientError, ProviderError):
            raise
        except Exception as err:  # the client library raises many types; map them all here
            raise self.translate(err) from None

    def translate(self, err: Exception) -> ProviderError:
        """One of our errors for `err`."""
        import ssl

        from caldav.lib import error

        where = self.where()
        if isinstance(err, error.AuthorizationError):
            if getattr(err, "status", None) == 401 or "Unauthorized" in str(err.reason):
                return AuthExpired(self.account, f"{self.server} refused the password")
            return ProviderError(f"{where}: access denied ({_status(err)})")
        if isinstance(err, error.RateLimitError):
            return TransientError(f"{where}: server busy ({_status(err)})",
                                  retry_after=_retry_after(err))
        if isinstance(err, error.NotFoundError):
            return ProviderError(f"{where}: not found: {_path(err)}")
        if isinstance(err, error.DAVError):
            status = getattr(err, "status", None)
            if isinstance(status, int) and status < 500:
                return ProviderError(f"{where}: the server refused a request ({_status(err)})")
            return TransientError(f"{where}: server error ({_status(err)})")
        cause = _root(err)
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in \
                str(err):
            return ProviderError(f"{where}: TLS certificate not trusted; set ca_file to the "
                                 "server's certificate if it is your own")
        if isinstance(cause, ssl.SSLError) or type(err).__name__ == "SSLError":
            return TransientError(f"{where}: TLS failed: {_line(err)}")
        name = type(err).__name__
        if name in ("ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout",
                    "ChunkedEncodingError", "ProtocolError", "RemoteDisconnected") or \
                isinstance(cause, (OSError, TimeoutError)):
            return TransientError(f"{where}: {_wire(err)}")
        # lxml's XMLSyntaxError and the like: the server answered something unreadable.
        log.debug("CalDAV %s: unexpected %s", self.server, name, exc_info=err)
        return TransientError(f"{where}: unreadable answer ({name}: {_line(err)[:120]})")


def _root(err: BaseException) -> BaseException:
    seen = 0
    while seen < 10 and (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
        seen += 1
    return err


def _status(err: Any) -> str:
    status = getattr(err, "status", None)
    reason = getattr(err, "reason", "") or ""
    return f"{status} {reason}".strip() if status else _line(err)[:120]


def _path(err: Any) -> str:
    return urlsplit(str(getattr(err, "url", "") or "")).path or "?"


def _retry_after(err: Any) -> float | None:
    value = getattr(err, "retry_after", None)
    return parse_retry_after(value) if isinstance(value, str) else None


def _wire(err: Exception) -> str:
    text = _line(err).lower()
    if "timed out" in text or "timeout" in type(err).__name__.lower():
        return "timed out"
    if "refused" in text:
        return "connection refused"
    return "connection lost"


def _line(err: BaseException) -> str:
    return one_line(str(err).strip() or type(err).__name__)


def make_client(url: str, username: str, password: str, *, ca_file: str | None,
                timeout: float) -> Any:
    """A DAVClient that sends Basic credentials up front (no 401 round trip: Radicale
    delays those on purpose) and verifies TLS against `ca_file` when given."""
    from caldav.davclient import DAVClient

    return DAVClient(url=url, username=username, password=password, auth_type="basic",
                     timeout=max(1, round(timeout)), ssl_verify_cert=ca_file or True,
                     enable_rfc6764=False)
