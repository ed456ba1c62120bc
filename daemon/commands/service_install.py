"""The systemd user unit: its text, and `afterword service install`."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from afterword.daemon.runtime import paths

# Hardening that systemd 252 accepts in a *user* unit: ProtectHome, ProtectSystem,
# PrivateTmp & co need PrivateUsers=yes there (a user manager cannot set up mount
# namespaces otherwise). The home folder is read-only except the state folder and the
# paths listed in ReadWritePaths (the installer adds each local account's Maildir).
UNIT_TEMPLATE = """\
# Afterword: drafts a thank-you note to each interviewer after every interview.
# Installed by `afterword service install`; edit there, not here, or re-run it.
[Unit]
Description=Afterword: thank-you note drafts after interviews
Documentation=https://github.com/afterword/afterword#readme

[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=30
# Exit status 2 is a bad config: restarting will not fix it.
RestartPreventExitStatus=2
WatchdogSec=120
TimeoutStopSec=60
UMask=0077
PrivateUsers=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={read_write}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
# AF_NETLINK: glibc asks the kernel which address families are configured.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
CapabilityBoundingSet=

[Install]
WantedBy=default.target
"""

DEFAULT_EXEC = "%h/.local/bin/afterword run"
# Not %S: on systemd 252 it means $XDG_CONFIG_HOME in user units. The installer writes
# the real $XDG_STATE_HOME/afterword.
DEFAULT_WRITABLE = ("%h/.local/state/afterword",)


def _quote(word: str) -> str:
    """Quote one ExecStart word the way systemd splits them."""
    if word and not any(c in word for c in ' \t"\'\\;$%'):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped.replace("$", "$$")}"'


def render(command: Sequence[str] | None = None,
           writable: Sequence[str] = DEFAULT_WRITABLE) -> str:
    """The unit text; `command` is the ExecStart argv (default: ~/.local/bin/afterword run)."""
    exec_start = " ".join(_quote(w) for w in command) if command else DEFAULT_EXEC
    # "-" makes a missing path harmless (e.g. a Maildir not created yet).
    read_write = " ".join(f"-{p}" if p.startswith("%") else f"-{_quote(p)}"
                          for p in dict.fromkeys(writable))
    return UNIT_TEMPLATE.format(exec_start=exec_start, read_write=read_write)


def installed_program() -> str:
    """The absolute path of the `afterword` being run (what systemd should start)."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "afterword" and argv0.exists():
        return str(argv0.absolute())
    found = shutil.which("afterword", path=os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if found:
        return str(Path(found).absolute())
    return str(Path(sys.executable).parent / "afterword")


def unit_path() -> Path:
    """$XDG_CONFIG_HOME/systemd/user/afterword.service."""
    return paths.config_home() / "systemd" / "user" / "afterword.service"


def prepare(maildirs: Sequence[Path]) -> list[str]:
    """Create the state folder (0700) and each local Maildir that does not exist yet.

    Under ProtectHome=read-only the service can write only into ReadWritePaths, and systemd
    drops a path that does not exist ("-" prefix): on a fresh home the daemon could then
    never create its state folder or Maildir, and would restart in a loop. Returns one line
    per thing created.
    """
    import mailbox

    created = []
    state = paths.state_home() / "afterword"
    if not state.is_dir():
        state.mkdir(parents=True, mode=0o700)
        created.append(f"created the state folder {state}")
    for maildir in dict.fromkeys(maildirs):
        if (maildir / "cur").is_dir():
            continue
        maildir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        mailbox.Maildir(maildir, factory=None, create=True)  # cur/new/tmp, mode 0700
        created.append(f"created the Maildir {maildir}")
    return created


def install(config_path: Path | None, maildirs: Sequence[Path],
            say: Callable[[str], None] = print) -> Path:
    """Write the unit with the real program path and config; returns where it went.

    The folders it must be able to write are created first (and reported through `say`).
    """
    command = [installed_program(), "run"]
    if config_path is not None:
        command += ["--config", str(config_path.absolute())]
    for line in prepare(maildirs):
        say(line)
    # The real $XDG_STATE_HOME, not %h/.local/state: they differ when it is set.
    writable = [str(paths.state_home() / "afterword"), *(str(m) for m in maildirs)]
    target = unit_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    temp.write_text(render(command, writable))
    os.chmod(temp, 0o644)
    temp.replace(target)
    return target


def install_lines(config_path: Path | None) -> list[str]:
    """`afterword service install`: write the unit (the config's local Maildirs writable)
    and say how to start it."""
    from afterword.daemon import config as config_module
    from afterword.providers import provider_spec

    maildirs: list[Path] = []
    if (config_path or config_module.default_path()).exists():
        config = config_module.load(config_path or config_module.default_path())
        maildirs = [path for a in config.accounts
                    for path in provider_spec(a.provider).writes(a.options)]
    return [f"wrote {install(config_path, maildirs)}", "start it now and at every login with:",
            "  systemctl --user daemon-reload", "  systemctl --user enable --now afterword",
            "(to keep it running while you are logged out: loginctl enable-linger)"]
