"""Calendar and mailbox providers, found by name from the config.

Each provider is a package `afterword.providers.<name>` whose `__init__` is light: it
declares a `SPEC` (`ProviderSpec`) with the account keys it reads, and names the module of
its `Provider` class, which is imported only when an account is opened. So a Google-only
user never imports msal, a local-only user neither Google's nor Microsoft's libraries, and
a new provider touches only its own folder and the line below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from afterword.daemon.errors import ProviderError

if TYPE_CHECKING:
    from afterword.daemon.config import AccountConfig
    from afterword.providers.base import Provider, ProviderContext, ProviderSpec

REGISTRY: dict[str, str] = {
    "google": "afterword.providers.google",
    "microsoft": "afterword.providers.microsoft",
    "local": "afterword.providers.local",
    "caldav": "afterword.providers.caldav",
}


def provider_spec(name: str) -> ProviderSpec:
    """The spec of the provider registered as `name` (its package is light to import)."""
    try:
        package = REGISTRY[name]
    except KeyError:
        raise ProviderError(f"unknown provider '{name}'") from None
    spec: ProviderSpec = importlib.import_module(package).SPEC
    return spec


def provider_class(name: str) -> type[Provider[Any]]:
    """Import and return the provider class registered as `name`."""
    module_name, class_name = provider_spec(name).provider.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ProviderError(f"provider '{name}' cannot be loaded: {err}") from err
    cls: type[Provider[Any]] = getattr(module, class_name)
    return cls


def open_provider(account: AccountConfig, context: ProviderContext) -> Provider[Any]:
    """The provider object for one configured account."""
    return provider_class(account.provider)(account, context)
