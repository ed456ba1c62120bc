"""Reminder channels against real receivers: a private D-Bus bus, a loopback webhook."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from afterword.daemon.config import ChannelConfig
from afterword.daemon.reminders import channels
from afterword.daemon.reminders.policy import History, Kind, Notice, Schedule, Subject
from tests.fakes.bus import dbus_daemon, session_bus
from tests.fakes.webhook import webhook_receiver

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def notice() -> Notice:
    subject = Subject(Kind.DRAFT, "0123456789abcdef", "Jane Doe — Onsite <Acme> & co",
                      Schedule(NOW, timedelta(hours=3), timedelta(days=1), NOW),
                      History(), deadline=NOW + timedelta(days=2), ref="0123456789abcdef")
    return Notice("Afterword: a thank-you note is waiting in Drafts",
                  "• Jane Doe — Onsite <Acme> & co", (subject,))


needs_bus = pytest.mark.skipif(dbus_daemon() is None,
                               reason="dbus-daemon missing (apt-get install dbus)")


@needs_bus
def test_desktop_notification_reaches_the_notification_service(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_bus(tmp_path) as bus:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
        assert channels.deliver([ChannelConfig(type="desktop")], notice()) == 1
        sent = bus.notifications()
    assert len(sent) == 1
    assert sent[0]["app"] == "Afterword"
    assert sent[0]["summary"] == "Afterword: a thank-you note is waiting in Drafts"
    # Body markup is allowed by the spec: calendar text is escaped.
    assert sent[0]["body"] == "• Jane Doe — Onsite &lt;Acme&gt; &amp; co"


def test_desktop_without_a_bus_is_logged_not_raised(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    with caplog.at_level(logging.WARNING):
        assert channels.deliver([ChannelConfig(type="desktop")], notice()) == 0
    assert "reminder channel desktop failed" in caplog.text


def test_webhook_posts_json_without_addresses() -> None:
    with webhook_receiver() as (url, recorded):
        assert channels.deliver([ChannelConfig(type="webhook", url=url)], notice()) == 1
    post = recorded.posts[0]
    assert post["path"] == "/afterword-topic"
    assert post["headers"]["Content-Type"] == "application/json"
    body = post["json"]
    # Plain "title" and "message" strings: simple consumers need nothing else.
    assert body["title"] == "Afterword: a thank-you note is waiting in Drafts"
    assert body["message"] == "• Jane Doe — Onsite <Acme> & co"
    assert body["items"][0]["key"] == "0123456789abcdef"
    assert "@" not in str(body)


def test_failing_webhook_is_logged_and_other_channels_still_deliver(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "out.txt"
    command = ChannelConfig(type="command", command=(
        sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"))
    with webhook_receiver() as (url, recorded), caplog.at_level(logging.WARNING):
        recorded.status = 500
        assert channels.deliver([ChannelConfig(type="webhook", url=url), command], notice()) == 1
    assert "webhook answered HTTP 500" in caplog.text
    assert url not in caplog.text  # an ntfy topic URL is as good as a password
    assert out.read_text().startswith("Afterword: a thank-you note is waiting in Drafts\n\n• Jane")


def test_command_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        failing = ChannelConfig(type="command", command=(sys.executable, "-c", "exit(3)"))
        missing = ChannelConfig(type="command", command=("/nonexistent/notifier",))
        assert channels.deliver([failing, missing], notice()) == 0
    assert "exited with status 3" in caplog.text
    assert "'/nonexistent/notifier'" in caplog.text


def test_ntfy_shows_title_and_message_not_raw_json() -> None:
    with webhook_receiver(ntfy=True) as (url, recorded):
        channel = ChannelConfig(type="webhook", url=url, format="ntfy")
        assert channels.deliver([channel], notice()) == 1
    assert recorded.posts[0]["path"] == "/"  # ntfy's JSON publishing: the server root
    assert recorded.published == [{
        "topic": "afterword-topic",
        "title": "Afterword: a thank-you note is waiting in Drafts",
        "message": "• Jane Doe — Onsite <Acme> & co"}]


def test_json_to_an_ntfy_topic_url_would_show_raw_json() -> None:
    # Why the ntfy format exists: our JSON posted to the topic URL reaches the phone raw.
    with webhook_receiver(ntfy=True) as (url, recorded):
        assert channels.deliver([ChannelConfig(type="webhook", url=url)], notice()) == 1
    assert recorded.published[0]["message"].startswith('{"app": "afterword"')


def test_ntfy_on_a_self_hosted_server_under_a_path(tmp_path: Path) -> None:
    root, body = channels.ntfy_request("https://push.example.org/ntfy/alerts-x1", notice())
    assert root == "https://push.example.org/ntfy/"
    assert body["topic"] == "alerts-x1" and body["message"].startswith("• Jane")


def test_webhook_format_defaults_from_the_host_and_is_checked(tmp_path: Path) -> None:
    from afterword.daemon import config as config_module

    def load(channel: str) -> ChannelConfig | str:
        path = tmp_path / "c.toml"
        path.write_text(
            '[me]\nname = "A"\nemails = ["a@example.com"]\n[[accounts]]\nname = "l"\n'
            f'provider = "local"\ncalendar = "{tmp_path}"\nmaildir = "{tmp_path}"\n'
            f'[reminders]\n[[reminders.channels]]\ntype = "webhook"\n{channel}')
        try:
            return config_module.load(path).reminders.channels[0]
        except config_module.ConfigError as err:
            return "; ".join(err.problems)

    def fmt(channel: str) -> str:
        loaded = load(channel)
        assert isinstance(loaded, ChannelConfig), loaded
        return loaded.format

    assert fmt('url = "https://ntfy.sh/my-topic"\n') == "ntfy"
    assert fmt('url = "https://ntfy.example.org/t"\n') == "ntfy"
    assert fmt('url = "https://hooks.example.org/t"\n') == "json"
    assert fmt('url = "https://ntfy.sh/t"\nformat = "json"\n') == "json"
    assert "unknown format 'nfty'" in str(load('url = "https://x.org/t"\nformat = "nfty"\n'))
    assert "must end in the topic" in str(load('url = "https://ntfy.sh/"\n'))
