"""Real servers on loopback for the CalDAV + IMAP provider: Radicale and a private Dovecot.

Both are started by the tests themselves, each in its own temporary folder, on a free
port, and waited for by a real sign-in (not just an open port). Radicale comes from pip
(the dev extra); Dovecot from Debian's `dovecot-imapd` (`make test` installs it as root).
When Dovecot is missing the IMAP tests skip with the reason.

Radicale logs one line per request at level info: `requests()` reads them, so a test can
count what an idle cycle costs on the wire.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "alex"
PASSWORD = 'app pass "1\\'  # spaces, a quote and a backslash: quoting must be right
DOVECOT = shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin:/usr/bin") or ""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: object, what: str, log: Path, proc: subprocess.Popen[bytes],
          limit: float = 60.0) -> None:
    """Poll `check()` until it is true; fail with the server's log if it dies or hangs."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            if check():  # type: ignore[operator]
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up in {limit:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Radicale:
    """A Radicale instance with one user (htpasswd, plain) and its own storage folder."""

    def __init__(self, root: Path, password: str = PASSWORD) -> None:
        self.root = root
        self.password = password
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = root / "radicale.log"
        (root / "users").write_text(f"{USER}:{password}\n")
        (root / "config").write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {root / 'users'}\n"
            "htpasswd_encryption = plain\n"
            "delay = 0\n"
            "[storage]\n"
            f"filesystem_folder = {root / 'collections'}\n"
            "[logging]\n"
            "level = info\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until a request is answered."""
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "-C", str(self.root / "config")],
            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        handle.close()

        def up() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return "Radicale server ready" in self.log.read_text()

        _wait(up, "radicale", self.log, self.proc)

    def stop(self) -> None:
        """Terminate the server."""
        if self.proc is not None:
            _stop(self.proc)

    def requests(self) -> list[str]:
        """Every request so far, as 'METHOD /path' in order."""
        found = re.findall(r"\] (\w+) request for '([^']*)'", self.log.read_text())
        return [f"{method} {path}" for method, path in found]


class Dovecot:
    """A private Dovecot (IMAP only) with one user whose Maildir has Drafts and Sent."""

    def __init__(self, root: Path, password: str = PASSWORD, tls: tuple[Path, Path] | None
                 = None) -> None:
        self.root = root
        self.password = password
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.log = root / "dovecot.log"
        self.home = root / "home"
        self.maildir = self.home / "Maildir"
        self.proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        # As root the mail is stored as `nobody`: every folder up to the Maildir must be
        # traversable by it.
        for path in (root, *root.parents):
            if path == Path("/"):
                break
            with contextlib.suppress(OSError):
                os.chmod(path, os.stat(path).st_mode | 0o711)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{password}\n")
        for sub in ("state", "run"):
            (root / sub).mkdir(exist_ok=True)
        self.home.mkdir(exist_ok=True)
        ssl = "no"
        ssl_lines = ""
        if tls is not None:
            ssl = "yes"
            ssl_lines = f"ssl_cert = <{tls[0]}\nssl_key = <{tls[1]}\n"
        listeners = (f"  inet_listener imap {{\n    address = 127.0.0.1\n"
                     f"    port = {self.port}\n  }}\n")
        if tls is not None:
            listeners += (f"  inet_listener imaps {{\n    address = 127.0.0.1\n"
                          f"    port = {self.tls_port}\n    ssl = yes\n  }}\n")
        else:
            listeners += "  inet_listener imaps {\n    port = 0\n  }\n"
        user = "root" if os.geteuid() == 0 else os.environ.get("USER", "") or _whoami()
        owner = "uid=nobody gid=nogroup" if os.geteuid() == 0 else \
            f"uid={os.getuid()} gid={os.getgid()}"
        (root / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root / 'run'}
state_dir = {root / 'state'}
log_path = {self.log}
info_log_path = {self.log}
ssl = {ssl}
{ssl_lines}disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_debug = yes
default_internal_user = {'dovecot' if os.geteuid() == 0 else user}
default_login_user = {'dovenull' if os.geteuid() == 0 else user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root / 'passwd'}
}}
userdb {{
  driver = static
  args = {owner} home={self.home}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = create
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
}}
service imap-login {{
{listeners}  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
""")
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "nobody:nogroup", str(self.home)], check=True)

    def start(self) -> None:
        """Start and wait for a successful login."""
        if not DOVECOT:
            pytest.skip("Dovecot is not installed: apt-get install dovecot-imapd "
                        "(`make test` as root does it)")
        handle = (self.root / "stderr.log").open("ab")
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        handle.close()

        def up() -> bool:
            imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
            try:
                imap.login(USER, self.password)
            finally:
                with contextlib.suppress(Exception):
                    imap.logout()
            return True

        _wait(up, "dovecot", self.root / "stderr.log", self.proc)

    def stop(self) -> None:
        """Terminate the server."""
        if self.proc is not None:
            _stop(self.proc)

    def connect(self) -> imaplib.IMAP4:
        """A plain imaplib session, logged in, for tests to look at the mailbox as a user
        would (or to play the mail client)."""
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, self.password)
        return imap


def _whoami() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


@contextlib.contextmanager
def running(server: Radicale | Dovecot) -> Iterator[Radicale | Dovecot]:
    """Start `server`, yield it, stop it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as a home server or Proton Bridge has."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
