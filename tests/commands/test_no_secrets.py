"""No secret at any verbosity: every sign-in, refresh, revocation and fault at `-v`, then
every byte the commands printed and every file they left is searched for the fakes'
secrets (authorization codes, PKCE verifiers, device codes, access, refresh and id
tokens, the client secret). Only the credential store itself may hold them."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import AFTERWORD, Result, run_cli
from tests.fakes.authority import FakeAuthority
from tests.fakes.google import FakeGoogle
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import ME, person
from tests.google_env import DEFAULT_SCOPES, google, interview

__all__ = ["google"]
NO_KEYRING = "keyring.backends.fail.Keyring"


def leaks(secrets: set[str], texts: list[str], root: Path, allowed: set[Path]) -> list[str]:
    """Where any secret shows: in a text, or in a file under `root` not in `allowed`."""
    assert secrets and all(len(s) >= 8 for s in secrets), secrets
    found = [f"output {n}: {s[:12]}…" for n, text in enumerate(texts) for s in secrets
             if s in text]
    for path in root.rglob("*"):
        if path.is_file() and path not in allowed:
            data = path.read_bytes()
            found += [f"{path}: {s[:12]}…" for s in secrets if s.encode() in data]
    return found


def sign_in_by_browser(config: Path, env: dict[str, str], fake: FakeGoogle,
                       paste: bool) -> list[str]:
    """`afterword auth personal --no-browser -v`: the user pastes the redirect address, or
    a browser on this host follows it to the loopback listener."""
    proc = subprocess.Popen([AFTERWORD, "auth", "personal", "--no-browser", "-v", "--config",
                             str(config)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        seen, url = [], None
        while url is None:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            seen.append(line)
            found = re.search(r"(http://\S+/o/oauth2/auth\S+)", line)
            url = found[1] if found else None
        if paste:
            proc.stdin.write(fake.approve(url) + "\n")
            proc.stdin.flush()
        else:
            # The fake's consent page redirects to the loopback listener, as Google does.
            with urllib.request.urlopen(url, timeout=30) as answer:
                assert b"sign-in received" in answer.read()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "signed in" in out
    return ["".join(seen), out, err]


def outputs(result: Result) -> list[str]:
    return [result.stdout, result.stderr]


def test_google_sign_in_refresh_revocation_and_faults_at_verbose(
        google: FakeGoogle, tmp_path: Path, xdg: dict[str, Path]) -> None:
    client = tmp_path / "client.json"
    client.write_text(json.dumps(google.client_secrets()))
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nendpoint = "{google.url}"\n'
        f'client_secrets = "{client}"\n\n'
        '[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n')
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": NO_KEYRING,
           "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    texts = sign_in_by_browser(config, env, google, paste=True)
    texts += sign_in_by_browser(config, env, google, paste=False)
    imported = tmp_path / "imported.json"
    imported.write_text(json.dumps(google.credentials(DEFAULT_SCOPES)))

    def cli(*args: str) -> Result:
        result = run_cli(*args, "-v", "--config", str(config), env=env)
        texts.extend(outputs(result))
        return result

    assert cli("auth", "personal", "--from-file", str(imported)).returncode == 0
    google.put_event(interview("Interview: Acme", datetime.now(UTC) - timedelta(hours=3),
                               [("Jane Doe", "jane@acme.com")]))
    assert cli("run", "--once").returncode == 0  # refreshes the expired access token
    assert google.drafts()
    google.expire_access_tokens()  # a 401, then a refresh
    assert cli("run", "--once").returncode == 0
    google.expire_access_tokens()
    google.fault("status", status=500, path="/token$", count=30)  # the refresh fails
    assert cli("run", "--once").returncode == 1
    google.faults.clear()
    google.revoke_all()  # invalid_grant
    revoked = cli("run", "--once")
    assert revoked.returncode == 1 and "afterword auth personal" in revoked.stderr
    cli("status")
    cli("check")
    assert any("afterword: INFO:" in text for text in texts)  # verbose really was on

    secrets = google.handed_out | {google.client.secret}
    store = xdg["state"] / "afterword" / "credentials.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    # The client file and the import are the user's own files; the store is the store.
    assert leaks(secrets, texts, tmp_path, {client, imported, store}) == []


def test_microsoft_device_sign_in_refresh_revocation_and_faults_at_verbose(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    with FakeAuthority() as authority, FakeGraph(authority) as graph:
        authority.add_user(ME, "Alex Rivera")
        config = tmp_path / "config.toml"
        config.write_text(
            '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
            'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
            f'[[accounts]]\nname = "work"\nprovider = "microsoft"\n'
            f'client_id = "{authority.client_id}"\nauthority = "{authority.authority_url()}"\n'
            f'graph_endpoint = "{graph.base}"\n\n'
            '[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n')
        env = {"REQUESTS_CA_BUNDLE": str(authority.ca_path), "PYTHON_KEYRING_BACKEND": NO_KEYRING}
        texts: list[str] = []

        def cli(*args: str) -> Result:
            result = run_cli(*args, "-v", "--config", str(config), env=env)
            texts.extend(outputs(result))
            return result

        def approve() -> None:
            authority.wait_for_polls(authority.polls + 1)
            authority.approve(authority.pending_user_code(), ME)

        approver = threading.Thread(target=approve, daemon=True)
        approver.start()
        assert cli("auth", "work").returncode == 0
        approver.join(30)
        graph.add_event(ME, "Interview: Acme", datetime.now(UTC) - timedelta(hours=3),
                        attendees=[person("Jane Doe", "jane@acme.com"),
                                   person("Alex Rivera", ME)],
                        organizer=("Jane Doe", "jane@acme.com"))
        assert cli("run", "--once").returncode == 0
        assert graph.messages(ME, "drafts")
        authority.expire_access_tokens()  # refreshed (the refresh token rolls over)
        assert cli("run", "--once").returncode == 0
        authority.expire_access_tokens()
        authority.token_failures = 30  # the refresh meets a 503
        assert cli("run", "--once").returncode == 1
        authority.token_failures = 0
        authority.revoke(ME)  # invalid_grant
        revoked = cli("run", "--once")
        assert revoked.returncode == 1 and "afterword auth work" in revoked.stderr
        cli("status")
        cli("check")
        assert any("afterword: INFO:" in text for text in texts)
        secrets = set(authority.handed_out)
    store = xdg["state"] / "afterword" / "credentials.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert leaks(secrets, texts, tmp_path, {store}) == []


def test_what_a_library_logs_anyway_is_redacted(capsys) -> None:
    import logging

    from afterword.daemon.runtime import journal

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        journal.setup("debug")
        lib = logging.getLogger("some.new.client")
        lib.debug("Supplying headers {'Authorization': 'Bearer ya29.a0Af-XyZ_123'} and data "
                  "{'grant_type': 'authorization_code', 'code': '4/0AeanS0Zq9Yx', "
                  "'code_verifier': 'k3Vq9zLr2Tw8uJmP'}")
        lib.debug('Obtained token {"access_token": "EwBIA8l6BAAU", "refresh_token": '
                  '"M.C507_BAY.0.U.-Cq3"}')
        try:
            raise ValueError("http://127.0.0.1:8080/?state=s&code=4/0AeanS0Zq9Yx&scope=x")
        except ValueError:
            lib.exception("redirect refused")
        # The daemon's lines too, and what libraries log is held at WARNING.
        logging.getLogger("requests_oauthlib.oauth2_session").debug("code=4/0AeanS0Zq9Yx")
        journal.setup("debug", daemon=True)
        lib.info("refresh_token=M.C507_BAY.0.U.-Cq3")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    for secret in ("ya29.a0Af", "4/0AeanS0Zq9Yx", "k3Vq9zLr2Tw8uJmP", "EwBIA8l6BAAU",
                   "M.C507_BAY"):
        assert secret not in err, err
    assert err.count("[redacted]") >= 6 and "redirect refused" in err
