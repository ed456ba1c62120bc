"""The caldav account's keys: presets, what each server needs, and one line per problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from afterword.daemon.config import load
from afterword.daemon.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
ME = '[me]\nname = "Alex"\nemails = ["alex@example.com"]\ntimezone = "Europe/Berlin"\n'


def account(tmp_path: Path, body: str) -> object:
    path = tmp_path / "config.toml"
    path.write_text(f'{ME}\n[[accounts]]\nname = "a"\nprovider = "caldav"\n{body}')
    return load(path).accounts[0].options


def problems(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        account(tmp_path, body)
    return caught.value.problems


def test_a_preset_fills_the_caldav_url_and_the_mail_host(tmp_path: Path) -> None:
    o = account(tmp_path, 'server = "fastmail"\nusername = "alex@fastmail.com"\n')
    assert (o.caldav_url, o.imap_host, o.imap_port, o.imap_security) == (  # type: ignore
        "https://caldav.fastmail.com/", "imap.fastmail.com", 993, "tls")
    o = account(tmp_path, 'server = "icloud"\nusername = "alex@icloud.com"\n')
    assert o.imap_host == "imap.mail.me.com"  # type: ignore[attr-defined]


def test_proton_bridge_is_starttls_on_loopback_with_a_local_calendar(tmp_path: Path) -> None:
    o = account(tmp_path, 'server = "proton-bridge"\nusername = "alex@proton.me"\n'
                'calendar = "proton.ics"\n')
    assert (o.imap_host, o.imap_port, o.imap_security, o.caldav_url) == (  # type: ignore
        "127.0.0.1", 1143, "starttls", "")
    assert o.calendar == tmp_path / "proton.ics"  # type: ignore[attr-defined]
    [problem] = problems(tmp_path, 'server = "proton-bridge"\nusername = "alex@proton.me"\n')
    assert "Proton" in problem or "proton-bridge" in problem
    assert "calendar" in problem and ".ics" in problem


def test_custom_and_nextcloud_need_their_urls(tmp_path: Path) -> None:
    found = problems(tmp_path, 'server = "custom"\nusername = "alex"\n')
    assert any("caldav_url" in p for p in found) and any("imap_host" in p for p in found)
    found = problems(tmp_path, 'server = "nextcloud"\nusername = "alex"\n'
                     'imap_host = "mail.example.org"\n')
    assert len(found) == 1 and "caldav_url" in found[0]


def test_plain_imap_only_on_loopback_and_unknown_keys_get_a_suggestion(
        tmp_path: Path) -> None:
    found = problems(tmp_path, 'server = "custom"\nusername = "alex"\n'
                     'caldav_url = "https://dav.example.org/"\nimap_host = "mail.example.org"\n'
                     'imap_security = "none"\ndrafts_foldr = "Drafts"\n')
    assert any("imap_security" in p and "loopback" in p for p in found)
    assert any("drafts_foldr" in p and "drafts_folder" in p for p in found)
    o = account(tmp_path, 'username = "alex"\ncaldav_url = "http://127.0.0.1:5232/"\n'
                'imap_host = "127.0.0.1"\nimap_security = "none"\n')
    assert o.imap_port == 143  # type: ignore[attr-defined]


def test_the_example_configs_caldav_block_is_valid(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text()
    block = re.search(r"^# \[\[accounts\]\]\n# name = \"fastmail\"\n(?:# .*\n)+", text,
                      re.MULTILINE)
    assert block is not None
    body = "\n".join(line[2:] for line in block.group(0).splitlines())
    path = tmp_path / "config.toml"
    path.write_text(f"{ME}\n{body}\n")
    [fastmail] = load(path).accounts
    assert fastmail.provider == "caldav" and fastmail.options.server == "fastmail"
