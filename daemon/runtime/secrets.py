"""Credentials: in the system keyring, or (explicit opt-in) a 0600 JSON file in the state dir.

Never in the config, the state database or the logs. Entries are one opaque string per
account (providers decide what it holds: Google's authorised-user JSON, msal's cache).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from afterword.daemon.errors import SecretsUnavailable

SERVICE = "afterword"
_HEADLESS_HINT = (
    'set [secrets] backend = "file" in the config to keep credentials in a private file '
    "in the state folder instead"
)


class KeyringSecrets:
    """The desktop keyring (Secret Service, KWallet, macOS Keychain) via `keyring`."""

    def _keyring(self):  # type: ignore[no-untyped-def]
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        # The null keyring "stores" by forgetting: as unusable as none at all.
        if isinstance(backend, (fail.Keyring, null.Keyring)):
            raise SecretsUnavailable(f"no usable keyring on this machine; {_HEADLESS_HINT}")
        return keyring

    def get(self, account: str) -> str | None:
        """The stored secret for `account`, or None."""
        from keyring.errors import KeyringError

        try:
            value: str | None = self._keyring().get_password(SERVICE, account)
            return value
        except KeyringError as err:
            raise SecretsUnavailable(f"keyring error: {err}; {_HEADLESS_HINT}") from err

    def set(self, account: str, secret: str) -> None:
        """Store (replace) the secret for `account`."""
        from keyring.errors import KeyringError

        try:
            self._keyring().set_password(SERVICE, account, secret)
        except KeyringError as err:
            raise SecretsUnavailable(f"keyring error: {err}; {_HEADLESS_HINT}") from err

    def delete(self, account: str) -> None:
        """Forget the secret for `account` (no error if there was none)."""
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            self._keyring().delete_password(SERVICE, account)
        except PasswordDeleteError:
            pass
        except KeyringError as err:
            raise SecretsUnavailable(f"keyring error: {err}; {_HEADLESS_HINT}") from err


class FileSecrets:
    """A JSON object {account: secret} in a 0600 file, replaced atomically on every write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise SecretsUnavailable(f"{self.path}: unreadable credentials file: {err}") from err
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def get(self, account: str) -> str | None:
        """The stored secret for `account`, or None."""
        return self._read().get(account)

    def set(self, account: str, secret: str) -> None:
        """Store (replace) the secret for `account`."""
        data = self._read()
        data[account] = secret
        self._write(data)

    def delete(self, account: str) -> None:
        """Forget the secret for `account`."""
        data = self._read()
        if data.pop(account, None) is not None:
            self._write(data)


def open_secrets(backend: str, state_dir: Path) -> KeyringSecrets | FileSecrets:
    """The credential store chosen by `[secrets] backend`."""
    if backend == "file":
        return FileSecrets(state_dir / "credentials.json")
    return KeyringSecrets()
