"""`afterword redraft` against the fake Gmail: drafts.update in place, edits left alone,
and a lost answer never makes a second draft."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli
from tests.fakes.google import FakeGoogle
from tests.google_env import google
from tests.providers.google.test_google_e2e import KEY, drafts_by_recipient, panel, run, setup

__all__ = ["google"]


def corrected(config: Path) -> None:
    config.write_text(config.read_text().replace('signature = "Alex"',
                                                 'signature = "Alex Rivera, +1 555 0100"'))


def ids_by_key(fake: FakeGoogle) -> dict[str, str]:
    return {msg[KEY]: draft_id for draft_id, msg in fake.drafts().items()}


def test_redraft_updates_unedited_gmail_drafts_in_place(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google)
    event = panel(google)
    assert run(config).returncode == 0
    before = drafts_by_recipient(google)
    ids = ids_by_key(google)
    google.user_edit_draft(ids[before["jane@acme.com"][KEY]], subject="Thanks, Jane!")
    corrected(config)
    google.reset_log()

    result = run_cli("redraft", event["id"], "--config", str(config))

    assert result.returncode == 0, result.stderr
    assert "bob@acme.com: rewritten" in result.stdout
    assert "jane@acme.com: left alone: you edited it" in result.stdout
    after = drafts_by_recipient(google)
    assert set(after) == {"jane@acme.com", "bob@acme.com"}
    assert ids_by_key(google) == ids  # the same drafts, updated, none created
    assert "+1 555 0100" in after["bob@acme.com"].get_body(("plain",)).get_content()
    assert after["jane@acme.com"]["Subject"] == "Thanks, Jane!"
    assert [c.method for c in google.calls(path="/drafts/")].count("PUT") == 1
    assert google.calls(method="POST", path="/drafts$") == []


def test_a_lost_answer_to_the_update_is_retried_in_place(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google)
    event = panel(google)
    assert run(config).returncode == 0
    ids = ids_by_key(google)
    corrected(config)
    # The update reaches Gmail, then the connection drops: the answer is lost, twice.
    google.fault("commit_then_drop", method="PUT", path="/drafts/", count=2)

    result = run_cli("redraft", event["id"], "--config", str(config))

    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": rewritten") == 2
    assert ids_by_key(google) == ids
    bodies = [m.get_body(("plain",)).get_content() for m in google.drafts().values()]
    assert len(bodies) == 2 and all("+1 555 0100" in b for b in bodies)


def test_an_update_whose_answer_never_comes_is_never_duplicated(google, tmp_path, xdg):
    config = setup(tmp_path, xdg, google)
    event = panel(google)
    assert run(config).returncode == 0
    ids = ids_by_key(google)
    jane = drafts_by_recipient(google)["jane@acme.com"][KEY]
    corrected(config)
    # Like a kill between writing and recording: Jane's update lands, no answer ever comes.
    google.fault("commit_then_drop", method="PUT", path=f"/drafts/{ids[jane]}", count=20)

    result = run_cli("redraft", event["id"], "--config", str(config))

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "drafts.update" in result.stderr
    assert ids_by_key(google) == ids
    # Its new text landed but was never recorded: Afterword cannot tell it from an edit
    # by the user, so it leaves it alone, and never writes a second draft.
    google.faults.clear()
    again = run_cli("redraft", event["id"], "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert f"{jane} jane@acme.com: left alone: you edited it" in again.stdout
    assert ids_by_key(google) == ids and len(google.drafts()) == 2
