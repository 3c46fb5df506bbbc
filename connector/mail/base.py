"""The `Mailer` protocol: something that delivers a finished message, and how it may fail."""

from __future__ import annotations

from typing import Protocol

from connector.errors import FatalError


class Mailer(Protocol):
    """Delivers one queued message (an RFC 5322 message, or a webhook's JSON for `webhook:`).

    Raises RetriableError for a temporary failure (4xx, a dropped connection: try again
    later), MessageRejectedError when this one message can never be delivered (5xx), and
    FatalError when nothing can be delivered until an operator acts (wrong credentials).
    """

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None: ...

    def close(self) -> None:
        """Release connections held between sends (end of a delivery pass)."""
        ...


class MessageRejectedError(FatalError):
    """The receiving server refused this message for good (SMTP 5xx, HTTP 4xx)."""
