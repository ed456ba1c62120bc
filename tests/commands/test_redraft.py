"""`afterword redraft`: after a correction, the drafts the user has not touched are
rewritten in place; an edited, sent or deleted draft is left alone with a reason."""

from __future__ import annotations

import email
import email.policy
import mailbox
from email.message import EmailMessage
from pathlib import Path

from tests.conftest import calendar, local_config, run_cli
from tests.test_e2e_local import panel_event

SIGNATURE = "Alex Rivera\\n+1 555 0100"


def drafts(root: Path) -> dict[str, EmailMessage]:
    """Recipient address → draft, as a mail client reading the Maildir sees them."""
    found = {}
    for path in sorted((root / ".Drafts" / "cur").iterdir()):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        found[msg["To"].addresses[0].addr_spec] = msg
    return found


def text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def user_edits(root: Path, address: str, new_text: str) -> None:
    """The user rewrites a draft in mutt: saved as a new file, the old one removed."""
    box = mailbox.Maildir(root, create=False).get_folder("Drafts")
    for key, message in box.iteritems():
        if address in str(message["To"]):
            message.set_payload(new_text)
            box.add(message)
            box.remove(key)
            return
    raise AssertionError(f"no draft to {address}")


def corrected(config: Path) -> None:
    """The user corrects what the notes say (here: the signature in the config)."""
    config.write_text(config.read_text().replace('signature = "Alex"',
                                                 f'signature = "{SIGNATURE}"'))


def test_unedited_drafts_are_rewritten_and_edited_ones_left_alone(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    mail = tmp_path / "Mail"
    before = drafts(mail)
    assert set(before) == {"jane.doe@acme.example", "john.smith@acme.example"}
    user_edits(mail, "jane.doe@acme.example", "Dear Jane, my own words.\n")
    corrected(config)

    result = run_cli("redraft", "panel-1", "--config", str(config))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("john.smith@acme.example: rewritten" in line for line in lines)
    assert any("jane.doe@acme.example: left alone: you edited it" in line for line in lines)
    after = drafts(mail)
    assert set(after) == set(before)  # still one draft per interviewer, no second copy
    assert "+1 555 0100" in text(after["john.smith@acme.example"])
    assert after["john.smith@acme.example"]["X-Afterword-Key"] == \
        before["john.smith@acme.example"]["X-Afterword-Key"]
    assert text(after["jane.doe@acme.example"]) == "Dear Jane, my own words.\n"
    # The rewritten draft is Afterword's again: a later correction rewrites it too.
    key = after["john.smith@acme.example"]["X-Afterword-Key"]
    config.write_text(config.read_text().replace("+1 555 0100", "+1 555 0199"))
    again = run_cli("redraft", key, "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{key} john.smith@acme.example: rewritten"
    assert "+1 555 0199" in text(drafts(mail)["john.smith@acme.example"])


def test_sent_and_deleted_drafts_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    root = mailbox.Maildir(tmp_path / "Mail", create=False)
    box, sent = root.get_folder("Drafts"), root.add_folder("Sent")
    for key, message in list(box.iteritems()):
        if "jane.doe" in str(message["To"]):
            sent.add(message)
        box.remove(key)
    corrected(config)

    result = run_cli("redraft", "panel-1", "--config", str(config))

    assert result.returncode == 0, result.stderr
    assert all("left alone" in line for line in result.stdout.splitlines())
    assert len(result.stdout.splitlines()) == 2
    assert list(box.iterkeys()) == []  # nothing written back into Drafts


def test_an_unknown_target_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_text(calendar(panel_event()))
    config = local_config(tmp_path)
    result = run_cli("redraft", "no-such-event", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no draft or interview 'no-such-event'" in result.stderr
