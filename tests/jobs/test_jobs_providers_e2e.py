"""Jobs, asks and letters through the fake Google and the fake Microsoft Graph, with the
installed `afterword` as a user runs it: each company's own pitch only in its notes, one
ask per names-needed interview to its organizer, letters that carry every name."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from afterword.daemon.runtime.secrets import FileSecrets
from tests.conftest import run_cli
from tests.fakes.authority import FakeAuthority
from tests.fakes.google import FakeGoogle
from tests.fakes.graph import FakeGraph
from tests.fakes.microsoft_setup import ME, person
from tests.google_env import DEFAULT_SCOPES, google, interview
from tests.jobs.scenarios import JOBS, highlights_in, pitches_in
from tests.providers.microsoft.test_microsoft_e2e import auth, authority, graph, setup

__all__ = ["authority", "google", "graph", "setup"]


def cli(config: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = run_cli(*args, "--config", str(config), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def event_id(config: Path, title: str, env: dict[str, str] | None = None) -> str:
    data = json.loads(cli(config, "status", "--json", env=env).stdout)
    (found,) = [i["event_id"] for i in data["interviews"] if i["title"] == title]
    return str(found)


def pdf_text(path: str) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_google_notes_asks_and_letters(tmp_path: Path, xdg: dict[str, Path],
                                       google: FakeGoogle) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    google.put_event(interview("Interview: Acme Corp, Staff Engineer", start, [
        ("Jane Doe", "jane@acme.example"), ("Zoë Ångström", "zoe@acme.example"),
        ("山田太郎", "taro@acme.example")]))
    google.put_event(interview("Phone screen", start, [("Kim Lee", "kim@globex.example")]))
    # Nobody but me: the organizer (hr@acme.com, a recruiting mailbox) is asked.
    google.put_event(interview("Onsite interview: Acme", start, []))
    FileSecrets(xdg["state"] / "afterword" / "credentials.json").set(
        "personal", json.dumps(google.credentials(DEFAULT_SCOPES)))
    config = tmp_path / "config.toml"
    config.write_text(
        '[me]\nname = "Alex Rivera"\nemails = ["alex@example.com"]\n'
        'timezone = "Europe/Berlin"\nsignature = "Alex"\n\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nendpoint = "{google.url}"\n\n'
        f'[reminders]\nchannels = []\n\n[secrets]\nbackend = "file"\n{JOBS}')
    for _ in range(3):
        cli(config, "run", "--once")
    drafts = {str(m["To"]): m for m in google.drafts().values()}
    assert len(drafts) == len(google.drafts()) == 5

    def text(to: str) -> str:
        return str(drafts[to].get_body(("plain",)).get_content())

    acme = ["Jane Doe <jane@acme.example>", "Zoë Ångström <zoe@acme.example>",
            "山田太郎 <taro@acme.example>"]
    assert all(pitches_in(text(to)) == {"acme"} for to in acme)
    assert len(set().union(*(highlights_in(text(to)) for to in acme))) == 3
    assert pitches_in(text("Kim Lee <kim@globex.example>")) == {"globex"}
    ask = drafts["hr@acme.com"]
    assert str(ask["Subject"]).startswith("The names of the people I met at Acme on ")
    assert "names and email addresses of the people I spoke with at Acme?" in text(
        "hr@acme.com")

    paths = cli(config, "letter", event_id(config, "Interview: Acme Corp, Staff Engineer"),
                "--out", str(tmp_path / "letters")).stdout.split()
    texts = [pdf_text(p) for p in paths]
    for name in ("Jane Doe", "Zoë Ångström", "山田太郎"):
        assert sum(name in t.splitlines() for t in texts) == 1, name
    assert all("Acme" in t.splitlines() for t in texts)


def test_microsoft_notes_asks_and_letters(setup: tuple[Path, dict[str, str]],
                                          authority: FakeAuthority, graph: FakeGraph,
                                          tmp_path: Path) -> None:
    config, env = setup
    config.write_text(config.read_text() + JOBS)
    assert auth(config, env, authority).returncode == 0
    start = datetime.now(UTC) - timedelta(hours=3)
    graph.add_event(ME, "Interview - Acme Corp - Staff Engineer", start,
                    attendees=[person("Jane Doe", "jane@acme.example"),
                               person("김민준", "minjun@acme.example"),
                               person("Alex Rivera", ME)],
                    organizer=("Jane Doe", "jane@acme.example"))
    graph.add_event(ME, "Globex phone screen", start,
                    attendees=[person("Kim Lee", "kim@globex.example")],
                    organizer=("Kim Lee", "kim@globex.example"))
    # Organized by Hooli's scheduling mailbox, nobody else listed: it is asked, once.
    graph.add_event(ME, "Interview at Hooli", start, attendees=[person("Alex Rivera", ME)],
                    organizer=("Hooli Recruiting", "recruiting@hooli.example"))
    for _ in range(3):
        cli(config, "run", "--once", env=env)
    drafts = {d["toRecipients"][0]["emailAddress"]["address"]: d
              for d in graph.messages(ME, "drafts")}
    assert set(drafts) == {"jane@acme.example", "minjun@acme.example", "kim@globex.example",
                           "recruiting@hooli.example"}
    assert len(graph.messages(ME, "drafts")) == 4

    def text(address: str) -> str:
        return str(drafts[address]["body"]["content"])

    assert pitches_in(text("jane@acme.example")) == {"acme"}
    assert pitches_in(text("minjun@acme.example")) == {"acme"}
    assert highlights_in(text("jane@acme.example")) != highlights_in(text("minjun@acme.example"))
    assert pitches_in(text("kim@globex.example")) == {"globex"}
    assert drafts["recruiting@hooli.example"]["subject"].startswith(
        "The names of the people I met at Hooli on ")
    assert "my Product Analyst interview at Hooli" in text("recruiting@hooli.example")
    kinds = {d["recipient"]: d["kind"] for d in json.loads(
        cli(config, "status", "--json", env=env).stdout)["drafts"]}
    assert kinds["recruiting@hooli.example"] == "ask_names"

    paths = cli(config, "letter", event_id(config, "Interview - Acme Corp - Staff Engineer",
                                           env), "--card", "--out", str(tmp_path / "cards"),
                env=env).stdout.split()
    cards = {Path(p).name: pdf_text(p) for p in paths}
    assert any(t.startswith("Dear 김민준,") for t in cards.values()), cards
    assert any(t.startswith("Dear Jane,") for t in cards.values()), cards
