"""Config: the example loads, and every problem is reported at once with its dotted path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from afterword.daemon.config import load, parse
from afterword.daemon.durations import format_duration, parse_duration
from afterword.daemon.errors import ConfigError
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """
[me]
name = "Alex"
emails = ["alex@example.com"]
timezone = "Europe/Berlin"

[[accounts]]
name = "demo"
provider = "local"
calendar = "cal.ics"
maildir = "Mail"
"""


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    return caught.value.problems


def test_example_config_loads_completely() -> None:
    config = load(ROOT / "config.example.toml")
    assert [a.provider for a in config.accounts] == ["google", "microsoft", "local"]
    assert config.drafts.delay == timedelta(minutes=30)
    assert config.reminders.deadline == timedelta(hours=48)
    assert config.me.timezone_name == "America/New_York"
    assert config.accounts[2].options.calendar == Path.home() / "calendars/interviews.ics"
    assert [j.company for j in config.jobs] == ["Acme"]
    assert config.jobs[0].contact == "Rita Recruiter <rita@acme.example>"
    assert config.me.postal_address == ("350 Fifth Avenue, Apt 12", "New York, NY 10118")
    assert config.recipients.ask_for_names and not config.letters.auto


def test_relative_paths_start_at_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL)
    account = load(path).accounts[0]
    assert account.options.calendar == tmp_path / "cal.ics"
    assert account.options.maildir == tmp_path / "Mail"


def test_every_problem_is_reported_with_its_dotted_path(tmp_path: Path) -> None:
    text = MINIMAL + """
[[accounts]]
name = "work"
provider = "gogle"

[drafts]
dealy = "30m"
max_age = "a week"

[reminders]
quiet_hours = "9pm to 8am"

[[reminders.channels]]
type = "webhook"
"""
    problems = problems_of(text, tmp_path)
    assert "accounts[1].provider: unknown provider 'gogle' (did you mean 'google'?)" \
        " (one of: google, microsoft, local, caldav)" in problems
    assert "drafts.dealy: unknown key (did you mean 'delay'?)" in problems
    assert any(p.startswith("drafts.max_age: not a duration: 'a week'") for p in problems)
    assert any(p.startswith("reminders.quiet_hours: expected \"HH:MM-HH:MM\"") for p in problems)
    assert "reminders.channels[0].url: missing (required)" in problems
    assert len(problems) == 5


def test_provider_specific_keys_are_checked(tmp_path: Path) -> None:
    text = MINIMAL.replace('maildir = "Mail"', 'maildir = "Mail"\nendpoint = "http://x/"')
    text += '\n[[accounts]]\nname = "work"\nprovider = "microsoft"\n'
    problems = problems_of(text, tmp_path)
    assert "accounts[0].endpoint: unknown key for a 'local' account" in problems
    assert "accounts[1].client_id: missing (required)" in problems


def test_types_and_values_are_checked(tmp_path: Path) -> None:
    text = MINIMAL.replace('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"') + """
[recipients]
max_per_interview = 0
include_organizer = "yes"
[detect]
patterns = ["(unclosed"]
"""
    problems = problems_of(text, tmp_path)
    assert "me.timezone: unknown time zone 'Mars/Olympus' (e.g. \"Europe/Berlin\")" in problems
    assert "recipients.max_per_interview: must be at least 1, got 0" in problems
    assert "recipients.include_organizer: expected true or false, got a string ('yes')" \
        in problems
    assert any(p.startswith("detect.patterns[0]: bad regular expression") for p in problems)


def test_duplicate_and_missing_accounts(tmp_path: Path) -> None:
    problems = problems_of(MINIMAL + MINIMAL.split("[me]")[1].split("\n\n", 1)[1], tmp_path)
    assert "accounts[1].name: duplicate account name 'demo'" in problems
    assert problems_of('[me]\nname = "A"\n', tmp_path) == [
        "accounts: at least one [[accounts]] entry is needed"]


def test_toml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[me]\nname = "Alex\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 2, column ")
    assert "TOML syntax error" in message


def test_cli_reports_config_errors_in_one_block_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL + '\n[daemon]\npoll_intervall = "5m"\n')
    result = run_cli("run", "--once", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        f"afterword: {path}: daemon.poll_intervall: unknown key"
        " (did you mean 'poll_interval'?)\n")
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_one_line(tmp_path: Path) -> None:
    result = run_cli("status", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "config file not found" in result.stderr


@pytest.mark.parametrize(("text", "seconds"), [
    ("45s", 45), ("30m", 1800), ("3h", 10800), ("2d", 172800), ("1w", 604800),
    ("1h30m", 5400), ("1.5h", 5400),
])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["", "5", "5x", "m5", "-3h", "3 hours"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration() -> None:
    assert format_duration(timedelta(days=2, hours=3, minutes=5)) == "2d 3h"
    assert format_duration(timedelta(seconds=10)) == "10s"


def test_parse_accepts_a_dict(tmp_path: Path) -> None:
    config = parse({"me": {"emails": []}, "accounts": [
        {"name": "a", "provider": "local", "calendar": "c.ics", "maildir": "m"}]},
        base_dir=tmp_path)
    assert config.account("a").options.maildir == tmp_path / "m"
    with pytest.raises(ConfigError, match="no account named 'b'"):
        config.account("b")
