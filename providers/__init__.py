"""Calendar and mailbox providers, resolved lazily by name from the config.

A provider module is imported only when an account uses it: a Google-only user never
imports msal, and a local-only user imports neither Google's nor Microsoft's libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from afterword.daemon.errors import ProviderError

if TYPE_CHECKING:
    from afterword.daemon.config import AccountConfig
    from afterword.providers.base import Provider, ProviderContext

REGISTRY: dict[str, str] = {
    "local": "afterword.providers.local.provider:LocalProvider",
    "google": "afterword.providers.google.provider:GoogleProvider",
    "microsoft": "afterword.providers.microsoft.provider:MicrosoftProvider",
}


def provider_class(name: str) -> type[Provider]:
    """Import and return the provider class registered as `name`."""
    try:
        module_name, class_name = REGISTRY[name].split(":")
    except KeyError:
        raise ProviderError(f"unknown provider '{name}'") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ProviderError(f"provider '{name}' cannot be loaded: {err}") from err
    cls: type[Provider] = getattr(module, class_name)
    return cls


def open_provider(account: AccountConfig, context: ProviderContext) -> Provider:
    """The provider object for one configured account."""
    return provider_class(account.provider)(account, context)
