"""The `Mailer` protocol: something that delivers a finished message, and how it may fail."""

from __future__ import annotations

from typing import Protocol

from connector.errors import FatalError, RetriableError


class Mailer(Protocol):
    """Delivers one queued message (an RFC 5322 message, or a webhook's JSON for `webhook:`).

    How a send fails says what the failure is about:

    - MessageRejectedError: this one message can never be delivered (SMTP 5xx to its RCPT TO
      or after its DATA; HTTP 4xx): fail it.
    - MessageDeferredError: this one message was refused for now (4xx to its RCPT TO or
      DATA): retry it later.
    - DeliveryUnavailableError: nothing can be delivered now (connection refused or timed
      out, a greeting, EHLO, STARTTLS, AUTH or MAIL FROM refused): pause all delivery
      through this mailer and fail nothing.
    - FatalError: nothing can be delivered until an operator acts (wrong credentials, an
      untrusted certificate): pause as well, saying what to fix.
    """

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None: ...

    def close(self) -> None:
        """Release connections held between sends (end of a delivery pass)."""
        ...


class MessageRejectedError(FatalError):
    """The receiving server refused this message for good (SMTP 5xx, HTTP 4xx)."""


class MessageDeferredError(RetriableError):
    """The receiving server refused this message for now (SMTP 4xx to RCPT TO or DATA)."""


class DeliveryUnavailableError(RetriableError):
    """The server or the connection to it failed: no message can be delivered right now."""
