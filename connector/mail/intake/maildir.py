"""`MaildirMailbox`: a Maildir read from `new/` and `cur/`, handled mail moved to sub-folders.

Handled messages move into Maildir++ sub-folders (`.Processed`, `.Quarantine`) of the same
Maildir, by rename, so nothing is deleted and a mail client shows them as folders.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from connector.mail.intake.base import Destination, RawMail

log = logging.getLogger(__name__)
BATCH = 500
_HEADER_LIMIT = 256 * 1024  # how much of a too-large message is read to find its header


def _delivered(path: Path) -> tuple[int, str]:
    try:
        return path.stat().st_mtime_ns, path.name
    except FileNotFoundError:
        return 0, path.name


class MaildirMailbox:
    """The Mailbox protocol over a Maildir folder (TICKETFLOW_MAILDIR)."""

    def __init__(self, root: Path, *, max_size: int, processed: str = "Processed",
                 quarantine: str = "Quarantine", batch: int = BATCH) -> None:
        self.root = root
        self.name = f"maildir:{root.resolve()}"
        self.max_size = max_size
        self.folders: dict[Destination, str] = {"processed": processed,
                                                "quarantine": quarantine}
        self.batch = batch
        for sub in ("tmp", "new", "cur"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def fetch(self) -> Iterator[RawMail]:
        """Files in `new/` and `cur/`, in delivery order (file time, then name: the names'
        microsecond parts are not zero-padded, so they do not sort by time on their own)."""
        files = [p for sub in ("new", "cur") for p in (self.root / sub).iterdir()
                 if p.is_file() and not p.name.startswith(".")]
        for path in sorted(files, key=_delivered)[:self.batch]:
            mail = self._read(path)
            if mail is not None:
                yield mail

    def _read(self, path: Path) -> RawMail | None:
        try:
            stat = path.stat()
            received = datetime.fromtimestamp(stat.st_mtime, UTC)
            if stat.st_size > self.max_size:
                with path.open("rb") as handle:
                    head = handle.read(_HEADER_LIMIT)
                end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0),
                          default=len(head))
                return RawMail(str(path.relative_to(self.root)), head[:end] + b"\r\n\r\n",
                               stat.st_size, received, too_large=True)
            return RawMail(str(path.relative_to(self.root)), path.read_bytes(), stat.st_size,
                           received)
        except FileNotFoundError:
            return None  # another reader moved it meanwhile

    def settle(self, mail: RawMail, destination: Destination, *, key: str) -> None:
        del key  # the file's move is the whole record
        folder = self.root / f".{self.folders[destination]}"
        for sub in ("tmp", "new", "cur"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "maildirfolder").touch()
        source = self.root / mail.ref
        name = source.name if ":2," in source.name else f"{source.name}:2,"
        try:
            source.replace(folder / "cur" / name)
        except FileNotFoundError:
            log.info("maildir message %s already moved", mail.ref)

    def restore(self, *, ref: str, message_id: str | None, key: str) -> bool:
        """Back to `new/` from `.Quarantine`, found by its file name (flags aside); the move is
        a rename, so its time, and so its place in delivery order, is kept."""
        del message_id, key  # the file name says which it is
        name = Path(ref).name.split(":2,")[0]
        folder = self.root / f".{self.folders['quarantine']}"
        for sub in ("cur", "new"):
            for path in (folder / sub).iterdir() if (folder / sub).is_dir() else ():
                if path.name.split(":2,")[0] == name:
                    path.replace(self.root / "new" / name)
                    return True
        return False

    def close(self) -> None:
        """Nothing is held open between reads."""
