"""The `Mailbox` protocol: where intake reads mail, and where handled mail goes afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Destination = Literal["processed", "quarantine"]


@dataclass(frozen=True)
class RawMail:
    """One message as read: its bytes, and the reader's handle for moving it afterwards.

    `data` holds only the header when the message is larger than the size limit
    (`too_large`); `received` is the server's arrival time (IMAP INTERNALDATE, file time).
    """

    ref: str
    data: bytes
    size: int
    received: datetime | None = None
    too_large: bool = False


class Mailbox(Protocol):
    """A folder of incoming mail. Reading never marks anything; `settle` is called only
    after the message's outcome is committed, so a crash before it means a re-read, which
    the intake's records turn into a no-op."""

    name: str  # stable identity, e.g. "imap://helpdesk@mail.example.edu/INBOX"

    def fetch(self) -> Iterator[RawMail]:
        """The messages waiting, oldest first (a bounded batch per call)."""
        ...

    def settle(self, mail: RawMail, destination: Destination, *, key: str) -> None:
        """Move a handled message out of the way (to Processed or Quarantine); `key` is its
        intake key, for readers that remember handled messages."""
        ...

    def restore(self, *, ref: str, message_id: str | None, key: str) -> bool:
        """Move a quarantined message back where new mail arrives (an operator released it).
        `ref` is where it was read, `key` its intake key. False when it is not in the
        Quarantine folder (moved back already, or moved away by hand)."""
        ...

    def close(self) -> None: ...
