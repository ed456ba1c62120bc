"""End to end against Radicale and Dovecot: the installed CLI, and the cycle in-process.

What the user sees: one draft per interviewer in Drafts with \\Draft, never two; sends
and deletions noticed; a revoked password makes that account need sign-in while the
local account beside it still drafts; an idle cycle costs one REPORT and four IMAP
commands.
"""

from __future__ import annotations

import email
import email.policy
import json
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from afterword.daemon.config import parse
from afterword.daemon.runtime.cycle import Cycle
from afterword.daemon.runtime.secrets import FileSecrets
from afterword.daemon.runtime.store import Store
from tests.commands.test_redraft import corrected
from tests.conftest import calendar, local_config, run_cli
from tests.conftest import vevent as local_vevent
from tests.providers.caldav.conftest import interviews_calendar, vcalendar, vevent
from tests.providers.caldav.servers import PASSWORD, USER, Dovecot, Radicale
from tests.providers.caldav.test_imap_drafts import folder, user_deletes, user_sends
from tests.providers.caldav.wire import relay

NOW = datetime.now(UTC).replace(microsecond=0)
PANEL = (("Jane Doe", "jane.doe@acme.example"), ("Sam Lee", "sam.lee@acme.example"))


def account_toml(radicale: Radicale, imap_port: int) -> str:
    return (f'[[accounts]]\nname = "fastmail"\nprovider = "caldav"\nserver = "custom"\n'
            f'username = "{USER}"\ncaldav_url = "{radicale.url}"\n'
            f'imap_host = "127.0.0.1"\nimap_port = {imap_port}\nimap_security = "none"\n'
            f'timeout = "10s"\n')


def write_config(tmp_path: Path, radicale: Radicale, imap_port: int) -> Path:
    """The caldav account beside a local one, secrets in the 0600 file."""
    (tmp_path / "calendar.ics").write_text(calendar(local_vevent(
        "local-1", "Interview at Initech", NOW - timedelta(hours=3), attendees=[
            "CN=Bill Lumbergh;PARTSTAT=ACCEPTED:mailto:bill@initech.example"])))
    local = (f'[[accounts]]\nname = "local"\nprovider = "local"\n'
             f'calendar = "{tmp_path / "calendar.ics"}"\nmaildir = "{tmp_path / "Mail"}"\n')
    return local_config(tmp_path, accounts=account_toml(radicale, imap_port) + "\n" + local,
                        extra='[secrets]\nbackend = "file"\n')


def keys(server: Dovecot, name: str) -> Counter[str]:
    return Counter(key for _flags, key in folder(server, name))


def test_the_cli_drafts_once_per_interviewer_and_sees_sends_and_deletions(
        tmp_path: Path, radicale: Radicale, dovecot: Dovecot) -> None:
    interviews_calendar(radicale).save_event(vcalendar(vevent(
        "panel-1", "Interview: Data Engineer at Acme", NOW - timedelta(hours=2), guests=PANEL)))
    config = write_config(tmp_path, radicale, dovecot.port)
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    auth = run_cli("auth", "fastmail", "--from-file", str(tmp_path / "pw"),
                   "--config", str(config))
    assert auth.returncode == 0, auth.stderr
    assert "accepted" in auth.stdout and PASSWORD not in auth.stdout + auth.stderr
    for _ in range(2):  # --verbose: not even debug logging shows the password
        run = run_cli("run", "--once", "--verbose", "--config", str(config))
        assert run.returncode == 0, run.stderr
        assert PASSWORD not in run.stdout + run.stderr
    drafts = folder(dovecot, "Drafts")
    # The two guests and the organizer (include_organizer is on by default).
    assert len(drafts) == 3 and len({key for _f, key in drafts}) == 3
    assert all(b"\\Draft" in flags.split() for flags, _key in drafts)
    state = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    mine = {d["recipient"]: d for d in state["drafts"] if d["account"] == "fastmail"}
    assert set(mine) == {"jane.doe@acme.example", "sam.lee@acme.example",
                         "rita@acme.example"}
    user_sends(dovecot, mine["jane.doe@acme.example"]["key"])
    user_deletes(dovecot, mine["sam.lee@acme.example"]["key"])
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    state = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    states = {d["recipient"]: d["state"] for d in state["drafts"] if d["account"] == "fastmail"}
    assert states == {"jane.doe@acme.example": "sent", "sam.lee@acme.example": "discarded",
                      "rita@acme.example": "drafted"}


def test_a_wrong_password_is_refused_by_auth_and_nothing_is_stored(
        tmp_path: Path, radicale: Radicale, dovecot: Dovecot) -> None:
    config = write_config(tmp_path, radicale, dovecot.port)
    (tmp_path / "pw").write_text("not the password\n")
    auth = run_cli("auth", "fastmail", "--from-file", str(tmp_path / "pw"),
                   "--config", str(config))
    assert auth.returncode != 0
    assert "refused the password; nothing stored" in auth.stderr
    assert len(auth.stderr.strip().splitlines()) == 1
    assert "not the password" not in auth.stderr
    assert not (tmp_path / "xdg").exists() or "fastmail" not in "".join(
        p.read_text() for p in (tmp_path / "xdg").rglob("credentials.json"))


def cycle(tmp_path: Path, radicale: Radicale, imap_port: int) -> Cycle:
    config = parse(tomllib.loads(write_config(tmp_path, radicale, imap_port).read_text()),
                   base_dir=tmp_path)
    secrets = FileSecrets(tmp_path / "credentials.json")
    return Cycle(config, Store(tmp_path / "state.db"), secrets, lambda: datetime.now(UTC))


def test_a_revoked_password_needs_sign_in_while_the_local_account_drafts(
        tmp_path: Path, radicale: Radicale, dovecot: Dovecot) -> None:
    interviews_calendar(radicale).save_event(vcalendar(vevent(
        "panel-1", "Interview at Acme", NOW - timedelta(hours=2), guests=PANEL)))
    FileSecrets(tmp_path / "credentials.json").set("fastmail", "an old app password")
    run = cycle(tmp_path, radicale, dovecot.port)
    report = run.run()
    by_name = {a.name: a for a in report.accounts}
    assert by_name["fastmail"].needs_reauth and not by_name["local"].errors
    assert len(by_name["local"].drafted) == 1
    [error] = by_name["fastmail"].errors
    assert "\n" not in error and "fastmail" in error and "an old app password" not in error
    assert run.store.account("fastmail").needs_reauth
    assert folder(dovecot, "Drafts") == []
    # `afterword auth` again: the next cycle drafts, once per interviewer.
    FileSecrets(tmp_path / "credentials.json").set("fastmail", PASSWORD)
    for _ in range(2):
        report = run.run()
    assert not run.store.account("fastmail").needs_reauth
    assert sorted(keys(dovecot, "Drafts").values()) == [1, 1, 1]


def test_an_idle_cycle_costs_one_report_and_four_imap_commands(
        tmp_path: Path, radicale: Radicale, dovecot: Dovecot) -> None:
    events = [vevent(f"iv-{n}", f"Interview {n} at Acme", NOW - timedelta(hours=2, minutes=n),
                     guests=((f"Person {n}", f"p{n}@acme.example"),)) for n in range(12)]
    events += [vevent(f"m-{n}", f"Standup {n}", NOW + timedelta(days=1, hours=n))
               for n in range(30)]
    for event in events:
        interviews_calendar(radicale).save_event(vcalendar(event))
    FileSecrets(tmp_path / "credentials.json").set("fastmail", PASSWORD)
    with relay(dovecot.port) as proxy:
        run = cycle(tmp_path, radicale, proxy.port)
        run.run()
        run.run()  # the first look at Drafts after drafting reads the folder once
        assert sorted(keys(dovecot, "Drafts").values()) == [1] * 24  # guest + organizer each
        before = len(radicale.requests())
        proxy.reset()
        for _ in range(5):
            report = run.run()
            assert not any(a.errors for a in report.accounts)
        assert radicale.requests()[before:] == ["REPORT /alex/interviews/"] * 5
        assert proxy.commands == ["CAPABILITY", "LOGIN", "STATUS", "LOGOUT"] * 5


def imap_drafts(server: Dovecot) -> dict[str, EmailMessage]:
    """Recipient address → draft, as the user's mail client lists Drafts."""
    imap = server.connect()
    imap.select("Drafts", readonly=True)
    _typ, data = imap.fetch("1:*", "(BODY.PEEK[])")
    imap.logout()
    found = {}
    for item in data:
        if isinstance(item, tuple):
            msg = email.message_from_bytes(item[1], policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            found[msg["To"].addresses[0].addr_spec] = msg
    return found


def test_redraft_rewrites_untouched_drafts_and_leaves_an_edited_one(
        tmp_path: Path, radicale: Radicale, dovecot: Dovecot) -> None:
    interviews_calendar(radicale).save_event(vcalendar(vevent(
        "panel-1", "Interview: Data Engineer at Acme", NOW - timedelta(hours=2), guests=PANEL)))
    config = write_config(tmp_path, radicale, dovecot.port)
    FileSecrets(tmp_path / "xdg" / "state" / "afterword" / "credentials.json").set(
        "fastmail", PASSWORD)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    before = imap_drafts(dovecot)
    # The user rewrites Jane's note in their mail client: a new message replaces it.
    imap = dovecot.connect()
    imap.select("Drafts")
    _typ, (uids,) = imap.uid("SEARCH", "TO", "jane.doe@acme.example")
    edited = before["jane.doe@acme.example"]
    edited.set_content("Dear Jane, my own words.\n")
    imap.append("Drafts", "(\\Draft \\Seen)", None, edited.as_bytes())
    imap.uid("STORE", uids.decode(), "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.logout()
    corrected(config)
    result = run_cli("redraft", "panel-1", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert any("sam.lee@acme.example: rewritten" in line for line in result.stdout.splitlines())
    assert any("jane.doe@acme.example: left alone: you edited it" in line
               for line in result.stdout.splitlines())
    after = imap_drafts(dovecot)
    assert set(after) == set(before)
    assert sorted(keys(dovecot, "Drafts").values()) == [1, 1, 1]  # never a second copy
    assert "+1 555 0100" in after["sam.lee@acme.example"].get_body(("plain",)).get_content()
    assert "my own words" in after["jane.doe@acme.example"].get_body(("plain",)).get_content()
