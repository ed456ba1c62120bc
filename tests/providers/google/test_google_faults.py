"""Faults on the wire and in the sign-in, mapped in one place (providers/google_http.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from afterword.daemon.errors import AuthExpired, TransientError
from afterword.providers.base import Window
from tests.fakes.google import CAL_EVENTS_RO, COMPOSE
from tests.google_env import NOW, google, interview, make_provider

__all__ = ["google"]
WINDOW = Window(NOW - timedelta(days=9), NOW + timedelta(days=14))


def one_event(fake):
    return fake.put_event(interview("Interview", NOW, [("Jane Doe", "jane@acme.com")]))


@pytest.mark.parametrize("fault", [
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 403, "reason": "rateLimitExceeded"},
    {"kind": "status", "status": 403, "reason": "userRateLimitExceeded"},
    {"kind": "drop"},
    {"kind": "slow", "delay": 3.0},
    {"kind": "malformed"},
])
def test_reads_survive_a_passing_fault(google, fault):
    made = one_event(google)
    provider = make_provider(google)
    google.fault(path="/events$", count=2, **fault)
    changes = provider.calendar().changes(WINDOW, None)
    assert [e.id for e in changes.events] == [made["id"]]
    assert google.faults[0].count == 0  # both faults were met
    # httplib2 resends a dropped GET once by itself; every other fault is our retry.
    assert len(provider.sleeps) == (1 if fault["kind"] == "drop" else 2)  # type: ignore[attr-defined]


def test_retry_after_is_honoured(google):
    one_event(google)
    provider = make_provider(google)
    google.fault("status", path="/events$", status=429, retry_after="3")
    provider.calendar().changes(WINDOW, None)
    assert provider.sleeps == [3.0]  # type: ignore[attr-defined]


def test_a_long_retry_after_ends_the_cycle_with_it(google):
    provider = make_provider(google)
    google.fault("status", path="/events$", status=429, retry_after="120")
    with pytest.raises(TransientError) as err:
        provider.calendar().changes(WINDOW, None)
    assert err.value.retry_after == 120.0
    assert provider.sleeps == []  # type: ignore[attr-defined]


def test_a_lasting_outage_is_a_transient_error(google):
    provider = make_provider(google)
    google.fault("status", path="/events$", status=503, count=10)
    with pytest.raises(TransientError, match=r"events\.list: HTTP 503"):
        provider.calendar().changes(WINDOW, None)
    assert len(google.calls(path="/events$")) == 4


def test_an_expired_access_token_is_refreshed_and_saved(google, memory_keyring):
    one_event(google)
    provider = make_provider(google)
    provider.calendar().changes(WINDOW, None)
    stored = json.loads(memory_keyring.get_password("afterword", "personal"))
    assert stored["token"] and stored["token_uri"] == google.token_uri
    google.expire_access_tokens()
    google.reset_log()
    provider.calendar().changes(WINDOW, None)
    assert [c.status for c in google.requests] == [401, 200, 200]
    assert google.requests[1].path == "/token"
    again = json.loads(memory_keyring.get_password("afterword", "personal"))
    assert again["token"] != stored["token"]
    assert again["refresh_token"] == stored["refresh_token"]


def test_a_revoked_grant_asks_for_auth(google):
    provider = make_provider(google)
    google.revoke_all()
    with pytest.raises(AuthExpired, match="run `afterword auth personal`"):
        provider.calendar().changes(WINDOW, None)


def test_no_credentials_asks_for_auth(google):
    provider = make_provider(google, seed=False)
    with pytest.raises(AuthExpired, match="not signed in"):
        provider.calendar().changes(WINDOW, None)
    assert google.requests == []


def test_a_missing_scope_asks_for_auth(google):
    provider = make_provider(google, scopes=[COMPOSE])
    with pytest.raises(AuthExpired, match="scope"):
        provider.calendar().changes(WINDOW, None)
    assert len(google.calls(path="/events$")) == 1


def test_check_reports_missing_scopes(google):
    provider = make_provider(google, scopes=[CAL_EVENTS_RO], track_sent=True)
    (problem,) = provider.check()
    assert "gmail.compose" in problem and "gmail.metadata" in problem


def test_a_running_daemon_picks_up_a_new_sign_in(google, memory_keyring):
    one_event(google)
    provider = make_provider(google)
    google.revoke_all()
    with pytest.raises(AuthExpired):
        provider.calendar().changes(WINDOW, None)
    # `afterword auth personal` in another process stores fresh credentials.
    memory_keyring.set_password("afterword", "personal",
                                json.dumps(google.credentials([CAL_EVENTS_RO, COMPOSE])))
    assert len(provider.calendar().changes(WINDOW, None).events) == 1
