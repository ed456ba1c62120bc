"""The systemd user unit: `afterword service install`, and systemd's own verdict on it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from afterword.daemon.commands import service_install
from tests.conftest import AFTERWORD, local_config, run_cli

REPO = Path(__file__).resolve().parents[2]


def verify(path: Path, runtime: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze --user verify` (works without a running systemd)."""
    program = shutil.which("systemd-analyze")
    if program is None:
        if os.geteuid() == 0:
            pytest.fail("systemd-analyze is missing although we are root: "
                        "`make test` installs the Debian package systemd")
        pytest.skip("systemd-analyze missing and not root: apt-get install systemd")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run([program, "--user", "verify", str(path)], capture_output=True,
                          text=True, env=env, timeout=60)


def test_service_install_writes_a_unit_systemd_accepts(tmp_path: Path,
                                                       xdg: dict[str, Path]) -> None:
    config = local_config(tmp_path)
    result = run_cli("service", "install", "--config", str(config))
    assert result.returncode == 0, result.stderr
    target = xdg["config"] / "systemd" / "user" / "afterword.service"
    assert f"wrote {target}" in result.stdout
    assert "systemctl --user daemon-reload" in result.stdout
    assert "systemctl --user enable --now afterword" in result.stdout
    text = target.read_text()
    assert f"ExecStart={Path(AFTERWORD).absolute()} run --config {config}" in text
    assert "Type=notify" in text and "WatchdogSec=" in text
    assert "Restart=on-failure" in text and "UMask=0077" in text
    # The local account's Maildir stays writable under ProtectHome=read-only.
    assert f"-{tmp_path / 'Mail'}" in text
    checked = verify(target, xdg["runtime"])
    assert checked.stderr == ""
    assert checked.returncode == 0


def test_service_install_on_a_fresh_home_creates_what_the_unit_must_write(
        tmp_path: Path, xdg: dict[str, Path]) -> None:
    # ProtectHome=read-only + "-" paths: systemd drops a missing ReadWritePaths entry, and
    # the daemon could never create its state folder or Maildir. The installer makes them.
    state = xdg["state"] / "afterword"
    maildir = tmp_path / "home" / "Mail" / "afterword"
    config = local_config(tmp_path, accounts=(
        f'[[accounts]]\nname = "local"\nprovider = "local"\n'
        f'calendar = "{tmp_path / "calendar.ics"}"\nmaildir = "{maildir}"\n'))
    assert not state.exists() and not maildir.exists()
    result = run_cli("service", "install", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert f"created the state folder {state}" in result.stdout
    assert f"created the Maildir {maildir}" in result.stdout
    assert state.is_dir() and (state.stat().st_mode & 0o777) == 0o700
    assert all((maildir / sub).is_dir() for sub in ("cur", "new", "tmp"))
    assert (maildir.stat().st_mode & 0o077) == 0
    text = (xdg["config"] / "systemd" / "user" / "afterword.service").read_text()
    # $XDG_STATE_HOME is set: its real path, not %h/.local/state.
    rw = next(line for line in text.splitlines() if line.startswith("ReadWritePaths="))
    assert rw == f"ReadWritePaths=-{state} -{maildir}"
    # A second install has nothing to create and says nothing about it.
    again = run_cli("service", "install", "--config", str(config))
    assert again.returncode == 0 and "created" not in again.stdout


def test_the_shipped_unit_is_what_the_installer_writes_and_is_valid(tmp_path: Path,
                                                                     xdg: dict[str, Path]) -> None:
    shipped = (REPO / "systemd" / "afterword.service").read_text()
    assert shipped == service_install.render()
    # ExecStart must exist for verify: point it at the installed program.
    copy = xdg["config"] / "systemd" / "user" / "afterword.service"
    copy.parent.mkdir(parents=True)
    exec_line = f"{Path(AFTERWORD).absolute()} run"
    copy.write_text(shipped.replace(service_install.DEFAULT_EXEC, exec_line))
    checked = verify(copy, xdg["runtime"])
    assert checked.stderr == ""
    assert checked.returncode == 0


def test_hardening_that_needs_private_users_has_it() -> None:
    text = service_install.render()
    lines = set(text.splitlines())
    # systemd 252 ignores ProtectHome & co in a user unit without PrivateUsers=yes.
    assert "ProtectHome=read-only" in lines and "PrivateUsers=yes" in lines
    assert "NoNewPrivileges=yes" in lines and "ProtectSystem=strict" in lines


def test_exec_start_quotes_paths_with_spaces_and_specifiers() -> None:
    argv = ["/opt/my apps/afterword", "run", "--config", "/home/a/100%.toml"]
    text = service_install.render(argv)
    assert 'ExecStart="/opt/my apps/afterword" run --config "/home/a/100%%.toml"' in text


def test_verify_notices_a_broken_unit(tmp_path: Path, xdg: dict[str, Path]) -> None:
    # The check above can fail: systemd reports an unknown key on stderr.
    bad = xdg["config"] / "afterword.service"
    bad.write_text(service_install.render([str(Path(AFTERWORD).absolute()), "run"])
                   .replace("UMask=0077", "UMask=0077\nProtectEverything=yes"))
    assert "Unknown key" in verify(bad, xdg["runtime"]).stderr
