"""The Microsoft provider's sign-in: real msal against the fake authority."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import msal
import pytest

from afterword.daemon.errors import AuthExpired, ProviderError, TransientError
from afterword.daemon.runtime.secrets import KeyringSecrets
from afterword.providers.base import AuthOptions
from afterword.providers.microsoft.auth import SCOPES, GraphAuth
from afterword.providers.microsoft.provider import MicrosoftProvider
from tests.fakes.authority import FakeAuthority
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import (  # noqa: F401 (fixtures)
    ME,
    NOW,
    authority_fixture,
    graph_fixture,
    make_provider,
    person,
    provider_fixture,
    sign_in,
    window,
)

# -- sign-in ---------------------------------------------------------------------------


def test_device_code_sign_in_waits_for_approval_and_stores_the_cache(
        authority: FakeAuthority, graph: FakeGraph, memory_keyring: Any) -> None:
    provider = make_provider(authority, graph)
    shown: list[str] = []

    def say(message: str) -> None:
        shown.append(message)

        def approve_later() -> None:
            authority.wait_for_polls(1)  # msal saw authorization_pending at least once
            authority.approve(authority.pending_user_code(), ME)
        threading.Thread(target=approve_later, daemon=True).start()

    line = provider.authorize(AuthOptions(say=say))

    assert line == f"account 'work': signed in as {ME}; credentials stored"
    assert "enter the code" in shown[0] and authority.base in shown[0]
    assert authority.polls >= 2
    stored = memory_keyring.passwords[("afterword", "work")]
    # The secret is msal's own cache: any msal reads it back.
    cache = msal.SerializableTokenCache()
    cache.deserialize(stored)
    assert [a["username"] for a in cache.search(msal.TokenCache.CredentialType.ACCOUNT)] == [ME]
    assert list(cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN))
    # Least privilege: the scopes asked for, and never Mail.Send.
    assert SCOPES == ["Calendars.Read", "Mail.ReadWrite", "User.Read"]
    # A non-default authority is used as is: only our fake was asked, discovery included.
    paths = [p for _m, p, _g in authority.log]
    assert "/common/v2.0/.well-known/openid-configuration" in paths
    assert "/common/oauth2/v2.0/devicecode" in paths


def test_an_unknown_app_fails_sign_in_with_a_clear_error(authority: FakeAuthority,
                                                        graph: FakeGraph) -> None:
    from dataclasses import replace

    provider = make_provider(authority, graph)
    wrong = MicrosoftProvider(replace(provider.account, options=replace(
        provider.options, client_id="not-registered")),
                              provider.context)
    with pytest.raises(ProviderError) as caught:
        wrong.authorize(AuthOptions(say=lambda _m: None))
    assert "account 'work': sign-in could not start: unauthorized_client" in str(caught.value)


def test_expired_access_token_is_refreshed_once_and_the_rolled_cache_saved(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider,
        memory_keyring: Any) -> None:
    before = memory_keyring.passwords[("afterword", "work")]
    authority.expire_access_tokens()  # msal still believes its token is good
    graph.reset_counters()

    provider.calendar().changes(window(), None)

    assert authority.grants("refresh_token") == 1
    assert [e["status"] for e in graph.log[:2]] == [401, 200]
    after = memory_keyring.passwords[("afterword", "work")]
    assert after != before
    # A new process starts from the stored cache: the rolled refresh token works.
    authority.expire_access_tokens()
    fresh = make_provider(authority, graph)
    fresh.calendar().changes(window(), None)
    assert authority.grants("refresh_token") == 2


def test_revoked_sign_in_is_auth_expired_naming_the_account(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider) -> None:
    authority.revoke(ME)
    with pytest.raises(AuthExpired) as caught:
        provider.calendar().changes(window(), None)
    assert caught.value.account == "work"
    assert "afterword auth work" in str(caught.value)
    assert "invalid_grant" in str(caught.value)


def test_an_unavailable_token_endpoint_is_transient_not_a_lost_sign_in(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider) -> None:
    authority.expire_access_tokens()
    authority.token_failures = 1
    with pytest.raises(TransientError) as caught:
        provider.calendar().changes(window(), None)
    assert not isinstance(caught.value, AuthExpired)
    # msal replays the failure for a while; a later cycle (here: a new process) recovers.
    assert make_provider(authority, graph).calendar().changes(window(), None).full


def test_the_mailbox_address_is_the_user_even_when_it_is_not_the_sign_in_name(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    graph.primary_address[ME] = "alex.rivera@contoso.com"
    sign_in(make_provider(authority, graph), authority)
    event_id = graph.add_event(ME, "Interview", NOW + timedelta(days=1), attendees=[
        person("Jane Doe", "jane@acme.com"), person("Alex", "alex.rivera@contoso.com"),
        person("Alex R", ME)])
    fresh = make_provider(authority, graph)  # a new process: the address comes stored
    graph.reset_counters()
    [event] = fresh.calendar().changes(window(), None).events
    assert event.id == event_id
    assert [a.email for a in event.attendees if a.is_self] == ["alex.rivera@contoso.com", ME]
    assert fresh.address() == "alex.rivera@contoso.com"
    assert "/me" not in [e["path"] for e in graph.log]


def test_no_credentials_is_auth_expired_and_check_says_so(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    provider = make_provider(authority, graph)
    assert provider.check() == ["not signed in: run `afterword auth work`"]
    with pytest.raises(AuthExpired):
        provider.mailbox().find_draft("k")


def test_imported_cache_and_address_from_me_once(
        authority: FakeAuthority, graph: FakeGraph, provider: MicrosoftProvider,
        memory_keyring: Any, tmp_path: Path) -> None:
    # `afterword auth work --from-file`: a bare msal cache made elsewhere.
    exported = memory_keyring.passwords.pop(("afterword", "work"))
    (tmp_path / "cache.json").write_text(exported)
    fresh = make_provider(authority, graph)
    graph.reset_counters()
    line = fresh.authorize(AuthOptions(from_file=str(tmp_path / "cache.json")))
    assert line == f"account 'work': signed in as {ME}; credentials stored"
    assert fresh.address() == ME
    assert make_provider(authority, graph).address() == ME  # remembered with the cache
    assert [e["path"] for e in graph.log] == ["/me"]
    (tmp_path / "junk.json").write_text("hello")
    with pytest.raises(ProviderError, match="not an msal token cache"):
        fresh.authorize(AuthOptions(from_file=str(tmp_path / "junk.json")))
    with pytest.raises(ProviderError, match="cannot read"):
        fresh.authorize(AuthOptions(from_file=str(tmp_path / "missing.json")))



def test_the_daemon_core_never_imports_msal_or_requests() -> None:
    import subprocess
    import sys

    code = ("import sys, afterword.daemon.cli, afterword.daemon.runtime.cycle, "
            "afterword.daemon.runtime.app, afterword.providers.local.provider; "
            "print(sorted(m for m in ('msal', 'requests') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_a_token_near_its_expiry_is_refreshed_silently_before_graph_refuses_it() -> None:
    with FakeAuthority(access_ttl=120) as authority, FakeGraph(authority) as graph:
        authority.add_user(ME, "Alex Rivera")
        provider = make_provider(authority, graph)
        sign_in(provider, authority)
        before = authority.grants("refresh_token")
        graph.reset_counters()
        provider.mailbox().find_draft("k")
        assert authority.grants("refresh_token") > before  # msal renews under 5 minutes left
        assert all(e["status"] == 200 for e in graph.log)  # Graph never saw a stale token


# -- national clouds -------------------------------------------------------------------


def _sign_in_with(authority: FakeAuthority, graph_endpoint: str) -> GraphAuth:
    auth = GraphAuth("gov", authority.client_id, authority.authority_url("contoso.onmicrosoft.us"),
                     KeyringSecrets(), verify=str(authority.ca_path),
                     graph_endpoint=graph_endpoint)
    auth.sign_in(lambda _msg: authority.approve(authority.pending_user_code(), ME))
    return auth


def test_a_national_cloud_graph_gets_scopes_qualified_with_its_resource(
        authority: FakeAuthority) -> None:
    auth = _sign_in_with(authority, "https://graph.microsoft.us/v1.0")
    wanted = ["https://graph.microsoft.us/Calendars.Read",
              "https://graph.microsoft.us/Mail.ReadWrite", "https://graph.microsoft.us/User.Read"]
    assert authority.scope_requests  # the device code request (its grant carries none)
    for asked in authority.scope_requests:
        assert sorted(s for s in asked if "://" in s) == wanted
        assert not any(s.lower().startswith(("calendars", "mail", "user")) for s in asked)
    # The token is for that cloud's Graph, not the global one; refreshes ask the same.
    token = auth.token()
    assert authority.user_for(token, "https://graph.microsoft.us") is not None
    assert authority.user_for(token, "https://graph.microsoft.com") is None
    authority.expire_access_tokens()
    authority.scope_requests.clear()
    auth.token(force_refresh=True)
    assert sorted(s for s in authority.scope_requests[-1] if "://" in s) == wanted


def test_the_global_graph_keeps_the_plain_scope_names(authority: FakeAuthority) -> None:
    auth = _sign_in_with(authority, "https://graph.microsoft.com/v1.0")
    assert authority.scope_requests
    for asked in authority.scope_requests:
        assert {"Calendars.Read", "Mail.ReadWrite", "User.Read"} <= set(asked)
        assert not any("://" in s for s in asked)
    assert authority.user_for(auth.token(), "https://graph.microsoft.com") is not None


def test_a_token_for_another_graph_is_refused_by_the_fake_graph(
        authority: FakeAuthority, graph: FakeGraph) -> None:
    # Signed in for the global Graph, but the account's endpoint is another Graph: the
    # endpoint refuses the token (as a national cloud's Graph does).
    auth = _sign_in_with(authority, "https://graph.microsoft.com/v1.0")
    assert authority.user_for(auth.token(), graph.root) is None
