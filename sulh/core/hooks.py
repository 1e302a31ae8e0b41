"""Typed hooks: how a lower layer tells a higher one that something happened.

A lower package (cases) declares a ``Hook`` with the type of what it reports; a higher
package (the ledger, cards) registers its receiver once, in its ``AppConfig.ready``. Unlike a
Django signal, a hook is declared where it fires, typed, and may be *required*: firing a
required hook nobody registered for is an error, so an event that must reach the log can
never be dropped because a package was not loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class HookNotRegistered(RuntimeError):
    pass


class Hook(Generic[T]):
    def __init__(self, name: str, *, required: bool = False) -> None:
        self.name = name
        self.required = required
        self._receivers: list[Callable[[T], None]] = []

    def register(self, receiver: Callable[[T], None]) -> None:
        """Add ``receiver`` (once: registering it again changes nothing)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)

    @property
    def receivers(self) -> tuple[Callable[[T], None], ...]:
        return tuple(self._receivers)

    def fire(self, payload: T) -> None:
        """Call every receiver in the order they registered, in the caller's transaction."""
        if self.required and not self._receivers:
            raise HookNotRegistered(f"nothing receives the required hook {self.name}")
        for receiver in self._receivers:
            receiver(payload)
