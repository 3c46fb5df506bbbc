"""The `Mailer` protocol: something that delivers a finished message."""

from __future__ import annotations

from typing import Protocol


class Mailer(Protocol):
    """Delivers one RFC 5322 message; raises RetriableError for a temporary failure."""

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None: ...
