"""`afterword preview` and `afterword check` through the installed CLI."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import calendar, local_config, run_cli, vevent

PANEL = [
    "CN=Jane Doe;PARTSTAT=ACCEPTED:mailto:jane.doe@acme.example",
    "CN=John Smith;PARTSTAT=ACCEPTED:mailto:john.smith@acme.example",
    "CN=Alex Rivera;PARTSTAT=ACCEPTED:mailto:alex@example.com",
]
NOTES = ["DESCRIPTION:Panel interview.\\n\\nNotes:\\nJane: the data pipeline migration\\n"
         "the move to streaming"]


def digest(path: Path) -> str:
    """A file's content hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> list[str]:
    """Every file under a folder (empty if it does not exist)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def sections(stdout: str) -> dict[str, str]:
    """The preview's text split per draft (a From: line starts one), keyed by recipient."""
    chunks: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("From: "):
            chunks.append("")
        elif line.startswith("=== "):
            chunks.append("")  # a new interview: not part of the last draft
            continue
        if chunks:
            chunks[-1] += line + "\n"
    found = {}
    for chunk in chunks:
        to = next((x for x in chunk.splitlines() if x.startswith("To: ")), None)
        if to:
            found[to.split("<")[-1].rstrip(">")] = chunk
    return found


def test_preview_with_an_empty_calendar_says_so_and_creates_nothing(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    config = local_config(tmp_path)
    (tmp_path / "calendar.ics").write_text(calendar())
    result = run_cli("preview", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "No interview is due or coming up" in result.stdout
    assert tree(xdg["state"]) == []
    result = run_cli("preview", "some-event", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "'some-event'" in result.stderr


def test_preview_before_any_run_reads_the_calendar_and_writes_nothing(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel-1", "Interview: Data Engineer at Acme", start, attendees=PANEL,
               extra=NOTES)))
    config = local_config(tmp_path)
    for args in ((), ("panel-1",)):
        result = run_cli("preview", *args, "--config", str(config))
        assert result.returncode == 0, result.stderr
        drafts = sections(result.stdout)
        assert set(drafts) == {"jane.doe@acme.example", "john.smith@acme.example"}
        assert "Hi Jane," in drafts["jane.doe@acme.example"]
    assert tree(xdg["state"]) == []
    assert not (tmp_path / "Mail").exists()


def test_preview_shows_every_draft_of_upcoming_interviews_and_writes_nothing(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel-1", "Interview: Data Engineer at Acme", start, attendees=PANEL,
               extra=NOTES),
        vevent("screen-2", "Globex phone screen", start + timedelta(days=1),
               attendees=["CN=Priya Raman:mailto:priya@globex.example"])))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    db = xdg["state"] / "afterword" / "state.db"
    before, mail_before = digest(db), tree(tmp_path / "Mail")

    result = run_cli("preview", "--config", str(config))
    assert result.returncode == 0, result.stderr
    drafts = sections(result.stdout)
    assert set(drafts) == {"jane.doe@acme.example", "john.smith@acme.example",
                           "priya@globex.example"}
    jane = drafts["jane.doe@acme.example"]
    for header in ("From: Alex Rivera <alex@example.com>", "To: Jane Doe <jane.doe@acme.example>",
                   "Subject: ", "Date: ", "Message-ID: <", "X-Afterword-Key: "):
        assert header in jane
    assert "--- text/plain ---\nHi Jane,\n" in jane
    assert "the data pipeline migration" in jane
    assert "the data pipeline migration" not in drafts["john.smith@acme.example"]
    assert "the move to streaming" in drafts["john.smith@acme.example"]
    assert jane.rstrip().endswith("\nAlex")  # the signature closes the note
    # Nothing was written: not the state, not the mailbox.
    assert digest(db) == before
    assert tree(tmp_path / "Mail") == mail_before
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "Mail").rglob("*"))

    one = run_cli("preview", "screen-2", "--config", str(config))
    assert one.returncode == 0, one.stderr
    assert set(sections(one.stdout)) == {"priya@globex.example"}
    raw = run_cli("preview", "screen-2", "--raw", "--config", str(config))
    assert "Content-Transfer-Encoding: quoted-printable" in raw.stdout
    assert "X-Afterword-Key: " in raw.stdout
    missing = run_cli("preview", "nonexistent-event", "--config", str(config))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "nonexistent-event" in missing.stderr
    assert digest(db) == before


def test_preview_is_exactly_what_gets_drafted(tmp_path: Path, xdg: dict[str, Path]) -> None:
    # The first cycle learns the interview but a broken template stops its drafts; the
    # preview after the fix must then match the drafts the next cycle writes.
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel-1", "Interview: Data Engineer at Acme", ended, attendees=PANEL,
               extra=NOTES)))
    folder = tmp_path / "tpl"
    folder.mkdir()
    broken = folder / "thank-you.j2"
    broken.write_text("{% block subject %}x{% endblock %}\n{% block text %}\n"
                      "{{ interviewer.nickname }}\n{% endblock %}\n")
    config = local_config(tmp_path, extra=f'[drafts]\ntemplates_dir = "{folder}"\n')
    first = run_cli("run", "--once", "--config", str(config))
    assert first.returncode == 1
    assert "template thank-you.j2, line 3" in first.stdout + first.stderr
    assert tree(tmp_path / "Mail" / ".Drafts") in ([], ["cur", "new", "tmp"])  # no draft
    broken.unlink()

    preview = run_cli("preview", "--config", str(config))
    assert preview.returncode == 0, preview.stderr
    shown = sections(preview.stdout)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    files = sorted((tmp_path / "Mail" / ".Drafts" / "cur").iterdir())
    assert len(files) == 2
    for path in files:
        draft = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        section = shown[draft["To"].addresses[0].addr_spec]
        assert f"Subject: {draft['Subject']}\n" in section
        assert f"X-Afterword-Key: {draft['X-Afterword-Key']}\n" in section
        part = draft.get_body(preferencelist=("plain",))
        assert part is not None
        body = part.get_content().replace("\r\n", "\n")
        assert "--- text/plain ---\n" + body.rstrip("\n") + "\n" in section
    again = run_cli("preview", "panel-1", "--config", str(config))
    assert again.stdout.count("(already drafted") == 2


def test_a_template_failing_for_one_panel_member_drafts_nobody(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    (tmp_path / "calendar.ics").write_text(calendar(
        vevent("panel-1", "Interview at Acme", ended, attendees=PANEL)))
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "picky.j2").write_text(
        "{% block subject %}Thanks{% endblock %}\n{% block text %}\nHi\n"
        "{% if interviewer.first_name == 'John' %}{{ vars.missing }}{% endif %}\n"
        "{% endblock %}\n")
    config = local_config(tmp_path, extra=f'[drafts]\ntemplates_dir = "{folder}"\n'
                                          'template = "picky"\n')
    result = run_cli("run", "--once", "--config", str(config))
    assert result.returncode == 1
    assert "template picky.j2, line 4: undefined variable" in result.stdout + result.stderr
    assert tree(tmp_path / "Mail" / ".Drafts" / "cur") == []
    status = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
    assert "picky.j2" in json.dumps(status)


def test_check_passes_on_a_good_setup(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    result = run_cli("check", "--config", str(local_config(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "template thank-you.j2" in result.stdout
    assert "template thank-you-html.j2" in result.stdout
    assert result.stdout.rstrip().endswith("all good")


def test_check_reports_template_errors_with_name_and_line(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "syntax.j2").write_text(
        "{% block subject %}Hi{% endblock %}\n{% block text %}\n{% if x %}\nHello\n"
        "{% endblock %}\n")
    (folder / "typo.j2").write_text(
        "{% block subject %}Hi{% endblock %}\n{% block text %}\nHi {{ interviewer.frist_name }}"
        "\n{% if interview.company == 'nobody' %}{{ mood }}{% endif %}\n"
        "{{ vars.pitch if vars.pitch is defined else '' }}{{ vars.get('x', '') }}\n"
        "{% if interview.company == 'nobody' %}{{ vars.hobby }}{% endif %}\n{% endblock %}\n")
    (folder / "_partial.j2").write_text("{% macro x() %}{% endmacro %}")
    config = local_config(tmp_path, extra=(
        f'[drafts]\ntemplates_dir = "{folder}"\n'
        '[[drafts.rules]]\ncompany = "Globex"\ntemplate = "nowhere"\n'))
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    out = result.stdout
    assert "template syntax.j2, line 5: Encountered unknown tag 'endblock'" in out
    assert "template typo.j2, line 3: undefined variable 'interviewer.frist_name'" in out
    assert "template typo.j2, line 4: undefined variable 'mood'" in out  # a branch never taken
    assert "template typo.j2, line 6: undefined variable 'vars.hobby'" in out
    assert "vars.pitch" not in out and "vars.get" not in out
    assert "template nowhere.j2: not found" in out and "drafts.rules[0]" in out
    assert "_partial" not in out
    assert "5 problem(s) found" in out
    assert "Traceback" not in result.stderr


def test_check_reports_missing_credentials_and_a_broken_secrets_file(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    accounts = (
        f'[[accounts]]\nname = "local"\nprovider = "local"\ncalendar = "{tmp_path}/nope.ics"\n'
        f'maildir = "{tmp_path}/Mail"\n\n'
        '[[accounts]]\nname = "work"\nprovider = "google"\n\n'
        '[[accounts]]\nname = "office"\nprovider = "microsoft"\nclient_id = "abc"\n')
    config = local_config(tmp_path, accounts=accounts, extra='[secrets]\nbackend = "file"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert "account local: calendar not found" in result.stdout
    assert "account work: not signed in: run `afterword auth work`" in result.stdout
    assert "account office: not signed in: run `afterword auth office`" in result.stdout
    assert result.stdout.count("not signed in") == 2

    # With the keyring backend and no usable keyring, check names the way out.
    config = local_config(tmp_path, accounts=accounts)
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert 'no usable keyring' in result.stdout and 'backend = "file"' in result.stdout

    state = xdg["state"] / "afterword"
    state.mkdir(parents=True, exist_ok=True)
    (state / "credentials.json").write_text("{not json")
    config = local_config(tmp_path, accounts=accounts, extra='[secrets]\nbackend = "file"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("credentials:")]
    assert len(lines) == 1 and "unreadable credentials file" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_check_with_a_bad_config_exits_2(tmp_path: Path) -> None:
    config = local_config(tmp_path, extra='[drafts]\ntemplat = "x"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert "drafts.templat" in result.stderr


def test_check_reports_a_missing_templates_dir(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar())
    config = local_config(tmp_path, extra=f'[drafts]\ntemplates_dir = "{tmp_path}/nope"\n')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert f"drafts.templates_dir: {tmp_path}/nope is not a folder" in result.stdout


def test_check_is_ok_only_when_run_would_work(tmp_path: Path) -> None:
    # A calendar that is not iCalendar, a Maildir that is a file, a Google client file
    # that does not exist, with no usable keyring: each is a line, and check exits 1.
    (tmp_path / "calendar.ics").write_text("this is not a calendar\n")
    (tmp_path / "Mail").write_text("a file where the Maildir should be\n")
    accounts = (
        f'[[accounts]]\nname = "local"\nprovider = "local"\n'
        f'calendar = "{tmp_path}/calendar.ics"\nmaildir = "{tmp_path}/Mail"\n\n'
        f'[[accounts]]\nname = "work"\nprovider = "google"\n'
        f'client_secrets = "{tmp_path}/missing-client.json"\n')
    result = run_cli("check", "--config", str(local_config(tmp_path, accounts=accounts)))
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert "account local: " in out and "not a valid iCalendar file" in out
    assert f"account local: maildir: {tmp_path}/Mail is a file, not a folder" in out
    assert f"account work: client_secrets not found: {tmp_path}/missing-client.json" in out
    assert sum(ln.startswith("credentials:") for ln in out.splitlines()) == 1
    assert "all good" not in out and "Traceback" not in out + result.stderr
    # Fixed, it is ok again (what `run` then does).
    (tmp_path / "calendar.ics").write_text(calendar())
    (tmp_path / "Mail").unlink()
    fixed = run_cli("check", "--config", str(local_config(tmp_path)))
    assert fixed.returncode == 0, fixed.stdout
