"""Enumerations whose values are platform data rather than fixed lists.

A field with ``choices_from = "list_type"`` offers the active list types as
they are today; the app owning the data registers the provider in its
``AppConfig.ready``.
"""

from collections.abc import Callable

_PROVIDERS: dict[str, Callable[[], list[str]]] = {}


def register(name: str, provider: Callable[[], list[str]]) -> None:
    _PROVIDERS[name] = provider


def choices_for(name: str) -> list[str]:
    provider = _PROVIDERS.get(name)
    return provider() if provider else []
