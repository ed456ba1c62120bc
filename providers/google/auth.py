"""Google sign-in: scopes, stored credentials, and `afterword auth` for a Google account.

Credentials are the authorised-user JSON that `Credentials.to_json()` writes, kept in the
CredentialStore under the account's name and written back after every refresh. They are
built by hand: `Credentials.from_authorized_user_info()` replaces the stored `token_uri`
with Google's, which would send refreshes for another endpoint to the wrong place.

google_auth_oauthlib is imported only inside `authorize()`: the daemon never needs it.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import webbrowser
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afterword.daemon.errors import AuthExpired, InputError, ProviderError, UsageError

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from afterword.daemon.config import AccountConfig
    from afterword.providers.base import AuthOptions, CredentialStore

SCOPE_CALENDAR = "https://www.googleapis.com/auth/calendar.events.readonly"
SCOPE_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
SCOPE_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
# Scopes that also let Gmail answer "was it sent?" (gmail.metadata or broader).
READ_SCOPES = (
    SCOPE_METADATA,
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
_REQUIRED_FIELDS = ("refresh_token", "client_id", "client_secret")
_SIGN_IN_WAIT = 600.0  # seconds `afterword auth` waits for the browser or a pasted URL


def scopes_for(account: AccountConfig) -> list[str]:
    """Least privilege: read events, write drafts; gmail.metadata only with track_sent."""
    scopes = [SCOPE_CALENDAR, SCOPE_COMPOSE]
    if account.options.track_sent:
        scopes.append(SCOPE_METADATA)
    return scopes


def parse_credentials(text: str, source: str) -> dict[str, Any]:
    """Validate authorised-user JSON; one-line InputError naming what is wrong."""
    try:
        info = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{source}: not JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(info, dict):
        raise InputError(f"{source}: expected a JSON object of authorised-user credentials")
    if info.get("type") not in (None, "authorized_user"):
        raise InputError(f"{source}: credentials of type {str(info['type'])[:40]!r} are not "
                         "authorised-user credentials (a service account cannot read Gmail)")
    missing = [k for k in _REQUIRED_FIELDS if not isinstance(info.get(k), str) or not info[k]]
    if missing:
        raise InputError(f"{source}: missing {', '.join(missing)} "
                         "(expected the JSON that Credentials.to_json() writes)")
    token_uri = info.get("token_uri", GOOGLE_TOKEN_URI)
    if not isinstance(token_uri, str) or not token_uri.startswith(("https://", "http://")):
        raise InputError(f"{source}: token_uri is not an http(s) URL")
    scopes = info.get("scopes")
    if isinstance(scopes, str):
        scopes = scopes.split()
    if scopes is not None and (not isinstance(scopes, list)
                               or not all(isinstance(s, str) for s in scopes)):
        raise InputError(f"{source}: scopes must be a list of strings")
    expiry = info.get("expiry")
    if expiry is not None:
        try:
            _parse_expiry(expiry)
        except (TypeError, ValueError):
            raise InputError(f"{source}: expiry is not an ISO 8601 time") from None
    return {**info, "token_uri": token_uri, "scopes": scopes}


def _parse_expiry(value: str) -> datetime:
    # google-auth keeps expiry as a naive UTC datetime and writes it with a trailing "Z".
    moment = datetime.fromisoformat(value.rstrip("Z"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def build_credentials(info: dict[str, Any]) -> Credentials:
    """google-auth Credentials from validated JSON, keeping its token_uri and expiry."""
    from google.oauth2.credentials import Credentials

    expiry = info.get("expiry")
    return Credentials(
        token=info.get("token"),
        refresh_token=info["refresh_token"],
        token_uri=info["token_uri"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        scopes=info.get("scopes"),
        expiry=_parse_expiry(expiry) if expiry else None,
    )


def missing_scopes(info_scopes: list[str] | None, wanted: list[str]) -> list[str]:
    """The wanted scopes a credential was not granted (unknown scopes: assume granted)."""
    if info_scopes is None:
        return []
    granted = set(info_scopes)
    missing = []
    for scope in wanted:
        if scope == SCOPE_METADATA:
            if not granted.intersection(READ_SCOPES):
                missing.append(scope)
        elif scope not in granted:
            missing.append(scope)
    return missing


class StoredCredentials:
    """An account's credentials, loaded from the store and saved back after each refresh."""

    def __init__(self, account: str, store: CredentialStore) -> None:
        self.account = account
        self.store = store
        self._creds: Credentials | None = None
        self._saved_token: str | None = None

    def load(self) -> Credentials:
        """The credentials (read once); AuthExpired when there are none or they are unusable."""
        if self._creds is None:
            text = self.store.get(self.account)
            if not text:
                raise AuthExpired(self.account, "not signed in yet")
            try:
                info = parse_credentials(text, "stored credentials")
            except InputError as err:
                raise AuthExpired(self.account, str(err)) from None
            self._creds = build_credentials(info)
            self._saved_token = self._creds.token
        return self._creds

    def forget(self) -> None:
        """Drop the loaded credentials: the next request reads the store again."""
        self._creds = None
        self._saved_token = None

    def granted_scopes(self) -> list[str] | None:
        """The scopes the stored credentials carry, if they say."""
        creds = self.load()
        scopes = creds.scopes
        return list(scopes) if scopes else None

    def save_if_refreshed(self) -> None:
        """Write the credentials back when the library refreshed the access token."""
        creds = self._creds
        if creds is not None and creds.token != self._saved_token:
            self.store.set(self.account, creds.to_json())
            self._saved_token = creds.token


# -- `afterword auth` -----------------------------------------------------------------

def authorize(account: AccountConfig, store: CredentialStore, options: AuthOptions) -> str:
    """Sign in (loopback redirect or pasted URL) or import a file; store the credentials."""
    wanted = scopes_for(account)
    if options.from_file:
        return _import_file(account, store, options.from_file, wanted)
    if account.options.client_secrets is None:
        raise UsageError(f"account '{account.name}': set client_secrets to the Desktop OAuth "
                         "client JSON from Google Cloud (see README, \"Google\"), or use "
                         "--from-file")
    if not account.options.client_secrets.is_file():
        raise UsageError(f"account '{account.name}': client_secrets file not found: "
                         f"{account.options.client_secrets}")
    creds = _sign_in(account, wanted, options)
    info = json.loads(creds.to_json())
    # to_json() writes the scopes asked for; keep the ones the user actually granted.
    granted = getattr(creds, "granted_scopes", None)
    if granted:
        info["scopes"] = granted.split() if isinstance(granted, str) else list(granted)
    if not info.get("refresh_token"):
        raise ProviderError("Google returned no refresh token: remove Afterword at "
                            "https://myaccount.google.com/permissions and run this again")
    missing = missing_scopes(info.get("scopes"), wanted)
    if missing:
        raise ProviderError(f"sign-in did not grant {', '.join(missing)}: run this again "
                            "and tick every box on Google's consent page")
    store.set(account.name, json.dumps(info))
    return f"account '{account.name}': signed in; credentials saved"


def _import_file(account: AccountConfig, store: CredentialStore, path_text: str,
                 wanted: list[str]) -> str:
    path = Path(path_text).expanduser()
    try:
        text = path.read_text()
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    info = parse_credentials(text, str(path))
    missing = missing_scopes(info.get("scopes"), wanted)
    if missing:
        raise InputError(f"{path}: credentials lack the scope(s) {', '.join(missing)}")
    store.set(account.name, json.dumps({k: v for k, v in info.items() if v is not None}))
    return f"account '{account.name}': credentials imported from {path}"


def _sign_in(account: AccountConfig, wanted: list[str], options: AuthOptions) -> Credentials:
    from google_auth_oauthlib.flow import Flow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    # Google may grant a subset of scopes (granular consent); we check them ourselves.
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    try:
        flow = Flow.from_client_secrets_file(str(account.options.client_secrets), scopes=wanted)
    except (ValueError, KeyError, OSError) as err:
        raise UsageError(f"{account.options.client_secrets}: not a Desktop OAuth client file "
                         f"({err})") from None
    if flow.client_type != "installed":
        raise UsageError(f"{account.options.client_secrets}: a '{flow.client_type}' OAuth client; "
                         "create one of type \"Desktop app\" (see README, \"Google\")")
    listener = _RedirectListener(options.port)
    try:
        flow.redirect_uri = f"http://127.0.0.1:{listener.port}/"
        url, _state = flow.authorization_url(access_type="offline", prompt="consent")
        options.say(f"Open this address in a browser and allow Afterword:\n\n    {url}\n")
        tunnel = f"ssh -L {listener.port}:127.0.0.1:{listener.port} this-host"
        options.say(f"Waiting for Google's redirect on 127.0.0.1:{listener.port} (browser on "
                    f"another machine: {tunnel}"
                    + ("" if options.port else "; --port N picks a fixed port") + ").")
        sys.stdout.flush()  # the address must show even when stdout is a pipe
        if options.open_browser:
            webbrowser.open(url, new=1)
        answer = listener.wait(options)
    finally:
        listener.close()
    if not answer.startswith(("http://", "https://")) or "code=" not in answer:
        raise UsageError("that is not the address Google redirected to (it contains "
                         "'code=')")
    # oauthlib insists on https for the redirect; the loopback one is plain http by design.
    answer = "https://" + answer.split("://", 1)[1]
    try:
        flow.fetch_token(authorization_response=answer)
    except OAuth2Error as err:
        raise ProviderError(f"sign-in failed: {err.description or err.error}") from None
    except Warning as err:  # oauthlib signals a changed scope set with a Warning
        raise ProviderError(f"sign-in failed: {err}") from None
    creds: Credentials = flow.credentials
    return creds


class _RedirectListener:
    """A one-shot loopback HTTP server that catches Google's redirect with the code."""

    def __init__(self, port: int) -> None:
        self.results: queue.Queue[str] = queue.Queue()
        results = self.results

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if "code=" in self.path or "error=" in self.path:
                    results.put(f"http://127.0.0.1{self.path}")  # only the query matters
                    body = b"Afterword: sign-in received. You can close this tab."
                else:
                    body = b"Afterword is waiting for Google's redirect."
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # the request line carries the authorisation code: never log it

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as err:
            raise UsageError(f"cannot listen on 127.0.0.1:{port}: {err.strerror}; "
                             "choose another --port") from None
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, options: AuthOptions) -> str:
        """The redirect URL: caught by the listener, or pasted by the user, whichever first."""
        done = threading.Event()

        def ask() -> None:
            while not done.is_set():
                try:
                    text = options.prompt(
                        "No browser can reach this host? Paste the address the browser "
                        "ended at (the page that failed to load) and press Enter:\n")
                except (EOFError, OSError):
                    return
                if text.strip():
                    self.results.put(text.strip())
                    return

        # A daemon thread: when the listener wins, the pending prompt dies with the process.
        threading.Thread(target=ask, daemon=True).start()
        try:
            answer = self.results.get(timeout=_SIGN_IN_WAIT)
        except queue.Empty:
            raise ProviderError("timed out waiting for the sign-in") from None
        finally:
            done.set()
        if "error=" in answer and "code=" not in answer:
            raise ProviderError("Google refused the sign-in (access denied?)")
        return answer

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()
