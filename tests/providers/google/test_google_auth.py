"""`afterword auth` for Google: pasted redirect, loopback redirect, --from-file import."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from afterword.daemon.errors import AfterwordError, InputError, UsageError
from afterword.providers.base import AuthOptions, Window
from tests.conftest import AFTERWORD, run_cli
from tests.fakes.google import CAL_EVENTS_RO, COMPOSE, FakeGoogle
from tests.google_env import DEFAULT_SCOPES, NOW, google, interview, make_provider

__all__ = ["google"]
WINDOW = Window(NOW - timedelta(days=9), NOW + timedelta(days=14))


@pytest.fixture(autouse=True)
def plain_http_token_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses http:// token endpoints unless told; the fake is plain http."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def client_file(fake: FakeGoogle, tmp_path: Path) -> Path:
    path = tmp_path / "client.json"
    path.write_text(json.dumps(fake.client_secrets()))
    return path


def works(fake: FakeGoogle, provider) -> None:
    """The stored credentials read the fake calendar."""
    fake.put_event(interview("Interview", NOW, [("Jane Doe", "jane@acme.com")]))
    assert len(provider.calendar().changes(WINDOW, None).events) == 1


def test_paste_the_redirect_url(google, tmp_path, memory_keyring):
    provider = make_provider(google, seed=False, client_secrets=client_file(google, tmp_path))
    said: list[str] = []

    def paste(_question: str) -> str:
        url = re.search(r"(http://127\.0\.0\.1:\d+/o/oauth2/auth\S+)", "\n".join(said))
        assert url, said
        assert "access_type=offline" in url[1] and "code_challenge=" in url[1]
        return google.approve(url[1])  # the address the browser could not load

    message = provider.authorize(AuthOptions(open_browser=False, prompt=paste,
                                             say=said.append))
    assert "signed in" in message
    stored = json.loads(memory_keyring.get_password("afterword", "personal"))
    assert stored["refresh_token"] and stored["token_uri"] == google.token_uri
    assert set(stored["scopes"]) == set(DEFAULT_SCOPES)
    assert any("ssh -L" in line for line in said)
    works(google, make_provider(google, seed=False))


def test_the_loopback_redirect(google, tmp_path, memory_keyring):
    provider = make_provider(google, seed=False, client_secrets=client_file(google, tmp_path))
    said: list[str] = []
    finished = threading.Event()
    visits = []

    def browser(_question: str) -> str:
        if visits:  # asked again while the listener finishes: the user says nothing
            finished.wait(5)
            raise EOFError
        url = re.search(r"(http://127\.0\.0\.1:\d+/o/oauth2/auth\S+)", "\n".join(said))
        assert url
        # The fake auth page redirects to our loopback listener, like Google after consent.
        with urllib.request.urlopen(url[1], timeout=5) as answer:
            visits.append(answer.read())
        return ""

    try:
        provider.authorize(AuthOptions(open_browser=False, prompt=browser, say=said.append))
    finally:
        finished.set()
    assert b"sign-in received" in visits[0]
    assert json.loads(memory_keyring.get_password("afterword", "personal"))["refresh_token"]
    works(google, make_provider(google, seed=False))


def test_unticked_scopes_are_refused(google, tmp_path, memory_keyring):
    provider = make_provider(google, seed=False, client_secrets=client_file(google, tmp_path))
    said: list[str] = []

    def paste(_question: str) -> str:
        url = re.search(r"(http://\S+/o/oauth2/auth\S+)", "\n".join(said))
        return google.approve(url[1], scopes=[CAL_EVENTS_RO])  # Gmail box unticked

    with pytest.raises(AfterwordError, match=r"did not grant .*gmail\.compose"):
        provider.authorize(AuthOptions(open_browser=False, prompt=paste, say=said.append))
    assert memory_keyring.get_password("afterword", "personal") is None


def test_a_foreign_redirect_is_refused(google, tmp_path):
    provider = make_provider(google, seed=False, client_secrets=client_file(google, tmp_path))
    said: list[str] = []

    def paste(_question: str) -> str:
        url = re.search(r"(http://\S+/o/oauth2/auth\S+)", "\n".join(said))
        return re.sub(r"state=[^&]+", "state=forged", google.approve(url[1]))

    with pytest.raises(AfterwordError, match="sign-in failed"):
        provider.authorize(AuthOptions(open_browser=False, prompt=paste, say=said.append))


def test_sign_in_needs_the_client_file(google):
    with pytest.raises(UsageError, match="client_secrets"):
        make_provider(google, seed=False).authorize(AuthOptions(open_browser=False))


def test_import_from_file(google, tmp_path, memory_keyring):
    path = tmp_path / "creds.json"
    path.write_text(json.dumps(google.credentials(DEFAULT_SCOPES)))
    provider = make_provider(google, seed=False)
    assert "imported" in provider.authorize(AuthOptions(from_file=str(path)))
    works(google, make_provider(google, seed=False))


@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "not JSON"),
    ("[]", "expected a JSON object"),
    (json.dumps({"token": "x"}), "missing refresh_token, client_id, client_secret"),
    (json.dumps({"type": "service_account", "client_id": "x"}), "not authorised-user"),
])
def test_import_rejects_bad_files(google, tmp_path, content, problem):
    path = tmp_path / "creds.json"
    path.write_text(content)
    with pytest.raises(InputError, match=problem):
        make_provider(google, seed=False).authorize(AuthOptions(from_file=str(path)))


def test_import_rejects_too_few_scopes(google, tmp_path):
    path = tmp_path / "creds.json"
    path.write_text(json.dumps(google.credentials([COMPOSE])))
    with pytest.raises(InputError, match=r"lack the scope.*calendar\.events\.readonly"):
        make_provider(google, seed=False).authorize(AuthOptions(from_file=str(path)))


def google_config(tmp_path: Path, fake: FakeGoogle, backend: str = "file") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\n\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nendpoint = "{fake.url}"\n\n'
        f'[reminders]\nchannels = []\n\n[secrets]\nbackend = "{backend}"\n')
    return path


def test_cli_import_one_line_errors_and_success(google, tmp_path):
    config = google_config(tmp_path, google)
    bad = tmp_path / "bad.json"
    bad.write_text('{"refresh_token": 1}')
    result = run_cli("auth", "personal", "--from-file", str(bad), "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "missing refresh_token" in result.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps(google.credentials(DEFAULT_SCOPES)))
    result = run_cli("auth", "personal", "--from-file", str(good), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "imported" in result.stdout


def test_cli_without_a_keyring_names_the_file_backend(google, tmp_path):
    config = google_config(tmp_path, google, backend="keyring")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(google.credentials(DEFAULT_SCOPES)))
    result = run_cli("auth", "personal", "--from-file", str(good), "--config", str(config),
                     env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == 1
    assert '[secrets] backend = "file"' in result.stderr


@pytest.mark.parametrize(("content", "problem"), [
    ("{", "not a Desktop OAuth client file"),
    (json.dumps({"web": {"client_id": "x", "client_secret": "y", "auth_uri": "a",
                         "token_uri": "t"}}), "'web' OAuth client"),
])
def test_sign_in_rejects_a_wrong_client_file(google, tmp_path, content, problem):
    path = tmp_path / "client.json"
    path.write_text(content)
    provider = make_provider(google, seed=False, client_secrets=path)
    with pytest.raises(UsageError, match=problem):
        provider.authorize(AuthOptions(open_browser=False))


def test_cli_headless_sign_in_by_pasting(google, tmp_path):
    """`afterword auth personal --no-browser` on a host no browser can reach."""
    config = google_config(tmp_path, google)
    text = config.read_text().replace(
        'provider = "google"\n', f'provider = "google"\nclient_secrets = '
        f'"{client_file(google, tmp_path)}"\n', 1)
    config.write_text(text)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    proc = subprocess.Popen([AFTERWORD, "auth", "personal", "--no-browser", "--config",
                             str(config)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        url = None
        while url is None:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            found = re.search(r"(http://\S+/o/oauth2/auth\S+)", line)
            url = found[1] if found else None
        proc.stdin.write(google.approve(url) + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "signed in" in out
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 0, result.stderr
