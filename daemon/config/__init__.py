"""The TOML config file → frozen dataclasses, with every problem reported at once.

Each section is read by a `Table` that remembers which keys it was asked for, so an
unknown key is reported with a "did you mean" taken from the keys that section knows.
Provider accounts are read by the provider's own `read_options` (see providers/base.py):
this package knows no provider by name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from afterword.daemon.config import readers
from afterword.daemon.config.jobs import Job, read_jobs
from afterword.daemon.config.readers import system_timezone
from afterword.daemon.config.sections import (
    AccountConfig,
    CaptureConfig,
    ChannelConfig,
    Config,
    DaemonConfig,
    DetectConfig,
    DraftRule,
    DraftsConfig,
    LettersConfig,
    Me,
    QuietHours,
    RecipientsConfig,
    RemindersConfig,
    SecretsConfig,
)
from afterword.daemon.config.table import Table, toml_problem
from afterword.daemon.errors import ConfigError
from afterword.daemon.runtime import paths

__all__ = [
    "AccountConfig", "CaptureConfig", "ChannelConfig", "Config", "DaemonConfig",
    "DetectConfig", "DraftRule", "DraftsConfig", "Job", "LettersConfig", "Me", "QuietHours",
    "RecipientsConfig",
    "RemindersConfig", "SecretsConfig", "default_path", "load", "parse", "system_timezone",
]


def default_path() -> Path:
    """$XDG_CONFIG_HOME/afterword/config.toml."""
    return paths.config_home() / "afterword" / "config.toml"


def load(path: Path) -> Config:
    """Read and validate the config file; ConfigError lists every problem found."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            ["config file not found (start from config.example.toml, or try `afterword demo`)"],
            source=str(path),
        ) from None
    except OSError as err:
        raise ConfigError([f"cannot read config file: {err.strerror}"], source=str(path)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(["not UTF-8 text"], source=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([toml_problem(err)], source=str(path)) from None
    return parse(data, base_dir=path.parent, source=str(path), path=path)


def parse(
    data: Mapping[str, Any], base_dir: Path, source: str = "", path: Path | None = None
) -> Config:
    """Validate already-parsed TOML data (paths resolve against `base_dir`)."""
    problems: list[str] = []
    root = Table(data, "", problems, base_dir)
    me = readers.read_me(root.table("me"))
    accounts = tuple(readers.read_account(t) for t in root.tables("accounts"))
    if not accounts:
        problems.append("accounts: at least one [[accounts]] entry is needed")
    seen: set[str] = set()
    for i, account in enumerate(accounts):
        if account.name and account.name in seen:
            problems.append(f"accounts[{i}].name: duplicate account name '{account.name}'")
        seen.add(account.name)
    config = Config(
        me=me,
        accounts=accounts,
        detect=readers.read_detect(root.table("detect")),
        recipients=readers.read_recipients(root.table("recipients")),
        drafts=readers.read_drafts(root.table("drafts"), seen),
        reminders=readers.read_reminders(root.table("reminders")),
        capture=readers.read_capture(root.table("capture")),
        daemon=readers.read_daemon(root.table("daemon")),
        secrets=readers.read_secrets(root.table("secrets")),
        jobs=read_jobs(root),
        letters=readers.read_letters(root.table("letters")),
        path=path,
    )
    root.finish()
    if problems:
        raise ConfigError(problems, source=source)
    return config


