"""IMAP over TLS and STARTTLS with a server's own certificate (home server, Proton Bridge)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from afterword.daemon.errors import ProviderError
from afterword.providers.caldav.imap import ImapDrafts, ImapSettings
from tests.providers.caldav.servers import PASSWORD, USER, Dovecot, self_signed


@pytest.fixture
def tls_dovecot(tmp_path: Path) -> Iterator[tuple[Dovecot, Path]]:
    cert, key = self_signed(tmp_path / "tls")
    server = Dovecot(tmp_path / "dovecot", tls=(cert, key))
    server.start()
    try:
        yield server, cert
    finally:
        server.stop()


def box(port: int, security: str, ca_file: Path | None) -> ImapDrafts:
    settings = ImapSettings(host="127.0.0.1", port=port, security=security, username=USER,
                            ca_file=str(ca_file) if ca_file else None, timeout=10)
    return ImapDrafts(settings, lambda: PASSWORD, account="bridge")


def test_tls_and_starttls_work_with_the_servers_certificate(
        tls_dovecot: tuple[Dovecot, Path]) -> None:
    server, cert = tls_dovecot
    assert box(server.tls_port, "tls", cert).find_draft("k") is None
    assert box(server.port, "starttls", cert).find_draft("k") is None


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_an_untrusted_certificate_is_one_line_naming_account_and_server(
        tls_dovecot: tuple[Dovecot, Path], security: str) -> None:
    server, _cert = tls_dovecot
    port = server.tls_port if security == "tls" else server.port
    with pytest.raises(ProviderError) as caught:
        box(port, security, None).find_draft("k")
    text = str(caught.value)
    assert text.startswith(f"account 'bridge': IMAP 127.0.0.1:{port}: TLS certificate "
                           "not trusted")
    assert "\n" not in text and "ca_file" in text
