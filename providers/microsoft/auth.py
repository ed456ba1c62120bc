"""Sign-in for Microsoft accounts with msal: device code flow, silent refresh, cache in the keyring.

The msal token cache is the account's only credential. It lives in the credential store
(keyring or the file backend) and is written back after every change, because refresh
tokens roll over. The stored secret is msal's serialised cache as is, plus one extra
top-level entry ("AfterwordAccount": {"address": ...}) that msal ignores: the mailbox's
own address, so the user is recognised in guest lists without a request. A refresh the
authority refuses (revoked, expired, consent withdrawn) becomes `AuthExpired`, which
marks just this account as needing `afterword auth`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.providers.base import CredentialStore

log = logging.getLogger(__name__)

# Delegated permissions, least privilege: read the calendar, write drafts, know who we are.
# Never Mail.Send. msal adds openid, profile and offline_access by itself.
SCOPES = ["Calendars.Read", "Mail.ReadWrite", "User.Read"]
PUBLIC_AUTHORITY_HOST = "login.microsoftonline.com"
GLOBAL_GRAPH_HOST = "graph.microsoft.com"
AUTH_TIMEOUT = (10.0, 30.0)
_EXTRA_KEY = "AfterwordAccount"  # our entry in the stored cache; msal leaves it alone
# OAuth errors after which only a new interactive sign-in helps.
_SIGN_IN_AGAIN = {"invalid_grant", "interaction_required", "login_required",
                  "consent_required", "invalid_scope"}
_APP_PROBLEMS = {"invalid_client", "unauthorized_client", "invalid_request"}


def scopes_for(graph_endpoint: str) -> list[str]:
    """The delegated scopes, qualified with the Graph resource unless it is the global one.

    Entra reads a bare `Calendars.Read` as a permission of the global Microsoft Graph
    (https://graph.microsoft.com); a national cloud's Graph (e.g. graph.microsoft.us) is
    named explicitly, so the token is issued for the endpoint it is sent to.
    """
    parts = urlsplit(graph_endpoint)
    host = (parts.hostname or "").lower()
    if not host or host == GLOBAL_GRAPH_HOST:
        return list(SCOPES)
    return [f"{parts.scheme}://{parts.netloc}/{scope}" for scope in SCOPES]


class _TimeoutSession(requests.Session):
    """msal's HTTP client: every request gets a timeout (msal passes none)."""

    def request(self, method: str | bytes, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", AUTH_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


class GraphAuth:
    """Access tokens for one Microsoft account, from the msal cache in the credential store."""

    def __init__(self, account: str, client_id: str, authority: str,
                 secrets: CredentialStore, verify: str | bool = True,
                 graph_endpoint: str = "https://graph.microsoft.com/v1.0") -> None:
        self.account = account
        # The same scopes at sign-in and on every refresh (another set fails: AADSTS65001).
        self.scopes = scopes_for(graph_endpoint)
        self.client_id = client_id
        self.authority = authority.rstrip("/")
        self.secrets = secrets
        self.verify = verify
        self._cache: msal.SerializableTokenCache | None = None
        self._stored: str | None = None
        self._app: msal.PublicClientApplication | None = None
        self._address: str | None = None

    # -- the stored secret ------------------------------------------------------------

    def _read(self) -> tuple[str | None, str | None, str | None]:
        """(raw secret, msal cache text, address) from the credential store."""
        raw = self.secrets.get(self.account)
        if not raw:
            return None, None, None
        try:
            extra = json.loads(raw).get(_EXTRA_KEY) or {}
            address = extra.get("address") if isinstance(extra, dict) else None
        except (ValueError, AttributeError):
            return raw, raw, None  # unreadable: msal will say so
        return raw, raw, address if isinstance(address, str) and address else None

    def _write(self, cache_text: str, address: str | None) -> None:
        data = json.loads(cache_text)
        data.pop(_EXTRA_KEY, None)
        if address:
            data[_EXTRA_KEY] = {"address": address}
        raw = json.dumps(data, indent=1)
        self.secrets.set(self.account, raw)
        self._stored = raw

    def stored_address(self) -> str | None:
        """The mailbox address remembered with the credentials, if any."""
        _raw, _cache, address = self._read()
        return address or None

    def remember_address(self, address: str) -> None:
        """Keep the mailbox's address with the credentials (no request needed next time)."""
        self._address = address
        _raw, cache_text, stored = self._read()
        if cache_text and stored != address:
            self._write(cache_text, address)

    # -- msal plumbing ----------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = _TimeoutSession()
        if self.verify is not True:
            # An explicit CA (a test seam): the environment's CA bundle must not override it.
            session.verify = self.verify
            session.trust_env = False
        return session

    def _build(self, cache: msal.SerializableTokenCache) -> msal.PublicClientApplication:
        host = (urlsplit(self.authority).hostname or "").lower()
        try:
            return msal.PublicClientApplication(
                self.client_id,
                authority=self.authority,
                token_cache=cache,
                http_client=self._session(),
                # A sovereign cloud, ADFS or test authority must not make msal ask
                # Microsoft's public instance-discovery endpoint about itself.
                instance_discovery=None if host == PUBLIC_AUTHORITY_HOST else False,
            )
        except requests.RequestException as err:
            raise TransientError(f"account '{self.account}': cannot reach the sign-in "
                                 f"service {self.authority}: {_first_line(err)}") from err
        except ValueError as err:
            raise ProviderError(f"account '{self.account}': authority {self.authority} "
                                f"is not usable: {_first_line(err)}") from err

    def _load(self) -> tuple[msal.PublicClientApplication, msal.SerializableTokenCache]:
        raw, cache_text, address = self._read()
        if self._app is None or self._cache is None or raw != self._stored:
            # First use, or `afterword auth` replaced the credentials meanwhile.
            cache = msal.SerializableTokenCache()
            if cache_text:
                try:
                    cache.deserialize(cache_text)
                except ValueError:
                    raise AuthExpired(self.account, "stored credentials are unreadable") from None
            self._cache, self._stored, self._address = cache, raw, address
            self._app = self._build(cache)
        return self._app, self._cache

    def _save(self, cache: msal.SerializableTokenCache) -> None:
        if cache.has_state_changed:
            self._write(cache.serialize(), self._address)
            cache.has_state_changed = False

    # -- the daemon's side ------------------------------------------------------------

    def token(self, force_refresh: bool = False) -> str:
        """An access token, silently refreshed (and the rolled cache saved) when needed."""
        if self._read()[0] is None:
            # Never signed in: say so without a request (msal would first fetch the
            # authority's metadata over the network).
            raise AuthExpired(self.account, "never signed in")
        app, cache = self._load()
        accounts = app.get_accounts()
        if not accounts:
            raise AuthExpired(self.account, "not signed in")
        try:
            result = app.acquire_token_silent_with_error(
                self.scopes, account=accounts[0], force_refresh=force_refresh)
        except (requests.RequestException, msal.exceptions.MsalServiceError) as err:
            # Unreachable, or a 5xx from the token endpoint.
            raise TransientError(f"account '{self.account}': sign-in service unavailable: "
                                 f"{_first_line(err)}") from err
        except ValueError as err:
            raise TransientError(f"account '{self.account}': unexpected answer from the "
                                 f"sign-in service: {_first_line(err)[:120]}") from err
        finally:
            self._save(cache)
        if result and "access_token" in result:
            return str(result["access_token"])
        if result is None:
            raise AuthExpired(self.account, "no refresh token")
        error = str(result.get("error", ""))
        description = _first_line(result.get("error_description", ""))
        if error in _SIGN_IN_AGAIN:
            raise AuthExpired(self.account, f"{error}: {description[:120]}" if description
                              else error)
        if error in _APP_PROBLEMS:
            raise ProviderError(f"account '{self.account}': the sign-in service refused the "
                                f"app ({error}: {description[:160]}); check client_id and "
                                "that the app registration allows public client flows")
        raise TransientError(f"account '{self.account}': token refresh failed "
                             f"({error or 'unknown error'}: {description[:160]})")

    def username(self) -> str | None:
        """The signed-in user's name (usually the address), read from the cache offline."""
        _raw, cache_text, _address = self._read()
        if not cache_text:
            return None
        cache = msal.SerializableTokenCache()
        try:
            cache.deserialize(cache_text)
        except ValueError:
            return None
        for entry in cache.search(msal.TokenCache.CredentialType.ACCOUNT):
            name = entry.get("username")
            if name:
                return str(name)
        return None

    # -- `afterword auth` -------------------------------------------------------------

    def sign_in(self, say: Callable[[str], None]) -> str:
        """Device code flow: show the code, wait for approval, store the new cache."""
        cache = msal.SerializableTokenCache()  # a fresh start: old, revoked tokens go
        app = self._build(cache)
        try:
            flow = app.initiate_device_flow(scopes=self.scopes)
            if "user_code" not in flow:
                raise ProviderError(
                    f"account '{self.account}': sign-in could not start: "
                    f"{flow.get('error', 'no device code')}: "
                    f"{_first_line(flow.get('error_description', ''))[:200]}")
            say(str(flow["message"]))
            sys.stdout.flush()  # the code must be visible while we wait, even through a pipe
            result = app.acquire_token_by_device_flow(flow)
        except (requests.RequestException, msal.exceptions.MsalServiceError) as err:
            raise TransientError(f"account '{self.account}': sign-in service unavailable: "
                                 f"{_first_line(err)}") from err
        except ValueError as err:  # e.g. the authority offers no device code flow
            raise ProviderError(f"account '{self.account}': sign-in could not start: "
                                f"{_first_line(err)[:200]}") from err
        if "access_token" not in result:
            raise ProviderError(
                f"account '{self.account}': sign-in failed: {result.get('error', '?')}: "
                f"{_first_line(result.get('error_description', ''))[:200]}")
        self._address = None  # perhaps another user: GET /me tells
        self._save(cache)
        self._app, self._cache = app, cache
        claims = result.get("id_token_claims") or {}
        return str(claims.get("preferred_username") or claims.get("name") or "")

    def import_cache(self, text: str) -> str:
        """Store an msal token cache made elsewhere (`afterword auth --from-file`)."""
        cache = msal.SerializableTokenCache()
        try:
            cache.deserialize(text)
        except ValueError as err:
            raise ProviderError(f"not an msal token cache: {_first_line(err)}") from err
        if not list(cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)):
            raise ProviderError("the token cache holds no refresh token")
        self._write(cache.serialize(), None)
        self._app = None
        return self.username() or ""


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""
