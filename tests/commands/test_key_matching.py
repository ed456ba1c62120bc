"""`afterword done` / `snooze`: which draft or interview a typed key means."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from afterword.daemon.model import DraftKey
from tests.conftest import calendar, local_config, run_cli, vevent

ALEX = "CN=Alex Rivera:mailto:alex@example.com"
RECRUITING = "CN=Acme Recruiting:mailto:recruiting@acme.example"


def _status(config: Path) -> dict:
    result = run_cli("status", "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _write(tmp_path: Path, *events: tuple[str, list[str]]) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    (tmp_path / "calendar.ics").write_text(calendar(*(
        vevent(uid, f"Interview with Acme {n}", start, attendees=people)
        for n, (uid, people) in enumerate(events))))


def test_exact_event_id_beats_a_draft_key_prefix_and_short_prefixes_are_refused(
        tmp_path: Path) -> None:
    jane = DraftKey("local", "one@acme", "jane@acme.com").id
    # A names-needed interview whose event id is also the start of Jane's draft key.
    _write(tmp_path, ("one@acme", ["CN=Jane Doe:mailto:jane@acme.com"]),
           (jane[:6], [ALEX, RECRUITING]))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    data = _status(config)
    assert [d["key"] for d in data["drafts"]] == [jane]
    assert {i["event_id"]: i["status"] for i in data["interviews"]}[jane[:6]] == "names_needed"

    result = run_cli("snooze", jane[:6], "1h", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "that interview" in result.stdout
    result = run_cli("done", jane[:6], "--config", str(config))
    assert result.returncode == 0 and "names for that interview" in result.stdout
    assert _status(config)["drafts"][0]["state"] == "drafted"  # Jane's draft untouched

    for short in (jane[:1], jane[:3]):
        result = run_cli("snooze", short, "1h", "--config", str(config))
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"afterword: '{short}' is too short: type at least 4 characters of a key "
            "shown by `afterword status`")
    # The exact key, and a unique 4-character prefix (here the event id's is longer).
    result = run_cli("snooze", jane[:7], "1h", "--config", str(config))
    assert result.returncode == 0 and jane in result.stdout


def test_an_ambiguous_prefix_lists_the_candidates(tmp_path: Path) -> None:
    first = DraftKey("local", "one@acme", "jane@acme.com").id
    # A second recipient whose key starts with the same four characters as Jane's.
    other = next(f"p{n}@beta.example" for n in itertools.count()
                 if DraftKey("local", "two@beta", f"p{n}@beta.example").id[:4] == first[:4])
    second = DraftKey("local", "two@beta", other).id
    _write(tmp_path, ("one@acme", ["CN=Jane Doe:mailto:jane@acme.com"]),
           ("two@beta", [f"CN=Pat Lee:mailto:{other}"]))
    config = local_config(tmp_path)
    assert run_cli("run", "--once", "--config", str(config)).returncode == 0
    assert {d["key"] for d in _status(config)["drafts"]} == {first, second}

    result = run_cli("done", first[:4], "--config", str(config))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"afterword: '{first[:4]}' matches 2: ")
    assert first in line and second in line
    assert {d["state"] for d in _status(config)["drafts"]} == {"drafted"}
    # Long enough to be unique: accepted.
    prefix = next(first[:n] for n in range(5, 17) if first[:n] != second[:n])
    result = run_cli("done", prefix, "--config", str(config))
    assert result.returncode == 0, result.stderr
    states = {d["key"]: d["state"] for d in _status(config)["drafts"]}
    assert states == {first: "dismissed", second: "drafted"}
