"""The [detect] and [recipients] keys: defaults, the example file, and clear problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from afterword.daemon import config
from afterword.daemon.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BASE = ('[me]\nname = "A"\nemails = ["a@example.com"]\ntimezone = "UTC"\n'
        '[[accounts]]\nname = "l"\nprovider = "local"\ncalendar = "c.ics"\nmaildir = "m"\n')


def load(tmp_path: Path, extra: str) -> config.Config:
    path = tmp_path / "config.toml"
    path.write_text(BASE + extra)
    return config.load(path)


def test_example_file_documents_the_defaults() -> None:
    example = config.load(ROOT / "config.example.toml")
    assert example.detect == config.DetectConfig()
    assert example.recipients == config.RecipientsConfig()


def test_new_keys(tmp_path: Path) -> None:
    loaded = load(tmp_path, """
[detect]
hashtags = ["jobhunt", "#interview"]
private_property = "isInterview"
skip_event_types = ["focusTime"]
title_patterns = ['^(?P<role>.+) loop \\((?P<company>[^)]+)\\)$']
[recipients]
shared_mailboxes = ["jobs-desk", "Talent@Acme.com"]
group_addresses = ["robot"]
generic_domains = ["@mail.example"]
exclude_domains = ["@Agency.com"]
""")
    assert loaded.detect.hashtags == ("#jobhunt", "#interview")
    assert loaded.detect.private_property == "isInterview"
    assert loaded.detect.skip_event_types == ("focusTime",)
    assert loaded.detect.title_patterns == (r"^(?P<role>.+) loop \((?P<company>[^)]+)\)$",)
    assert loaded.recipients.shared_mailboxes == ("jobs-desk", "talent@acme.com")
    assert loaded.recipients.group_addresses == ("robot",)
    assert loaded.recipients.generic_domains == ("mail.example",)
    assert loaded.recipients.exclude_domains == ("agency.com",)


def test_bad_patterns_are_reported_with_their_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, '[detect]\npatterns = ["(unclosed"]\n'
                       'title_patterns = ["Interview: (.+)", "[bad"]\n')
    problems = err.value.problems
    assert any(p.startswith("detect.patterns[0]: bad regular expression") for p in problems)
    assert any(p.startswith("detect.title_patterns[0]:") and "no named group" in p
               for p in problems)
    assert any(p.startswith("detect.title_patterns[1]: bad regular expression")
               for p in problems)


def test_unknown_key_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"recipients\.shared_mailbox: unknown key .*"
                                          r"did you mean 'shared_mailboxes'"):
        load(tmp_path, '[recipients]\nshared_mailbox = ["x"]\n')
