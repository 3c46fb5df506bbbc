"""`ImapMailbox`: an IMAP folder read by UID under its UIDVALIDITY, moved when handled.

Reads use `BODY.PEEK[]`, so `\\Seen` stays as people left it (a person reading the shared
mailbox in Outlook must not make ticketflow skip mail, and ticketflow must not make mail look
read). Size and arrival time are fetched first: mail over the limit is read as its header only.
Handled mail is MOVEd (RFC 6851) to Processed or Quarantine, else COPY + `\\Deleted` + UID
EXPUNGE (RFC 4315), never a plain EXPUNGE, which would remove other clients' deleted mail.
The UID and destination are written down before a move, so a move that failed is retried
without reading the message again; a new UIDVALIDITY forgets them all, and the re-read that
follows is made harmless by the Message-ID records.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from connector.errors import ConfigError, FatalError, RetriableError
from connector.mail.intake.base import Destination, RawMail
from connector.mail.intake.parse import parse
from connector.state.intake import IntakeStore

log = logging.getLogger(__name__)
BATCH = 200  # messages per pass: a flooded inbox is worked through over several cycles
TIMEOUT = 120.0  # seconds per command; a hung server must not hang the cycle
_CHUNK = 100

Security = Literal["tls", "starttls", "plain"]


@dataclass(frozen=True)
class ImapTarget:
    """Where the mailbox is: `imaps://user@host:993/INBOX`, `imap://user@host:143/INBOX?
    starttls=true`; `?insecure=true` allows plain text (loopback tests only); `?cafile=PATH`
    trusts a private CA."""

    host: str
    port: int
    user: str
    folder: str
    security: Security
    cafile: str | None = None

    @classmethod
    def parse(cls, url: str) -> ImapTarget:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        flag = {k: v.lower() in ("1", "true", "yes") for k, v in query.items()}
        problems = []
        if parts.scheme not in ("imap", "imaps"):
            problems.append("expected imaps://user@host:993/INBOX or imap://user@host:143/INBOX"
                            "?starttls=true")
        if not parts.hostname or not parts.username:
            problems.append("expected a user and a host, as in imaps://user@host/INBOX")
        security: Security = "tls" if parts.scheme == "imaps" else (
            "starttls" if flag.get("starttls") else "plain")
        if security == "plain" and not flag.get("insecure"):
            problems.append("imap:// without ?starttls=true would send the password in clear "
                            "text; add ?starttls=true (or ?insecure=true for a loopback test)")
        if problems:
            raise ConfigError([f"environment: TICKETFLOW_IMAP_URL: {p}" for p in problems])
        port = parts.port or (993 if security == "tls" else 143)
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(str(parts.hostname), port, unquote(str(parts.username)), folder, security,
                   query.get("cafile"))

    @property
    def name(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{self.folder}"


@contextmanager
def _translated(target: ImapTarget, doing: str) -> Iterator[None]:
    """IMAP and socket failures into the error tree: a refused login is fatal (fix the
    credentials), everything else may work next time."""
    try:
        yield
    except LoginError as error:
        raise FatalError(f"IMAP login to {target.name} refused: {error}") from None
    except (TimeoutError, IMAPClientError, imaplib.IMAP4.error, OSError) as error:
        raise RetriableError(f"IMAP {doing} on {target.name} failed: {error}") from error


class ImapMailbox:
    """The Mailbox protocol over one IMAP folder (TICKETFLOW_IMAP_URL)."""

    def __init__(self, target: ImapTarget, *, book: IntakeStore, max_size: int,
                 password: str | None = None, oauth2_token: str | None = None,
                 processed: str = "Processed", quarantine: str = "Quarantine",
                 batch: int = BATCH, timeout: float = TIMEOUT) -> None:
        if not password and not oauth2_token:
            raise ConfigError(["environment: TICKETFLOW_IMAP_PASSWORD: not set; expected the "
                               "mailbox password, or TICKETFLOW_IMAP_OAUTH2_TOKEN"])
        self.target = target
        self.name = target.name
        self.book = book
        self.max_size = max_size
        self.folders: dict[Destination, str] = {"processed": processed,
                                                "quarantine": quarantine}
        self.batch = batch
        self._client = self._connect(password, oauth2_token, timeout)

    def _connect(self, password: str | None, token: str | None, timeout: float) -> IMAPClient:
        context = ssl.create_default_context(cafile=self.target.cafile)
        with _translated(self.target, "connect"):
            client = IMAPClient(self.target.host, port=self.target.port,
                                ssl=self.target.security == "tls", ssl_context=context,
                                timeout=timeout)
        try:
            with _translated(self.target, "login"):
                client.normalise_times = False  # INTERNALDATE with its zone, not local time
                if self.target.security == "starttls":
                    client.starttls(context)
                if token:
                    client.oauth2_login(self.target.user, token)  # XOAUTH2: Microsoft, Google
                else:
                    client.login(self.target.user, password or "")
                for folder in self.folders.values():
                    if not client.folder_exists(folder):
                        client.create_folder(folder)
                self._moves = b"MOVE" in client.capabilities()
                self._uidplus = b"UIDPLUS" in client.capabilities()
        except BaseException:
            client.shutdown()  # the socket, which logout cannot close after a refused login
            raise
        return client

    def fetch(self) -> Iterator[RawMail]:
        with _translated(self.target, "read"):
            selected = self._client.select_folder(self.target.folder)
            validity = int(selected[b"UIDVALIDITY"])
            known = self.book.folder(self.name)
            if known is None or known[0] != validity:
                if known is not None:
                    log.warning("UIDVALIDITY of %s changed from %d to %d: its UIDs are "
                                "forgotten and it is read again (Message-IDs prevent doubles)",
                                self.name, known[0], validity)
                self.book.reset_folder(self.name, validity)
            uids = sorted(self._client.search(["NOT", "DELETED"]))[:self.batch]
            waiting = [uid for uid in uids if not self._finish_move(validity, uid)]
        for start in range(0, len(waiting), _CHUNK):
            with _translated(self.target, "read"):
                chunk = waiting[start:start + _CHUNK]
                meta = self._client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"])
            for uid in chunk:
                if uid in meta:
                    mail = self._read(validity, uid, meta[uid])
                    if mail is not None:
                        yield mail

    def _read(self, validity: int, uid: int, meta: dict[bytes, Any]) -> RawMail | None:
        size = int(meta.get(b"RFC822.SIZE", 0))
        received = meta.get(b"INTERNALDATE")
        too_large = size > self.max_size
        part, key = ("BODY.PEEK[HEADER]", b"BODY[HEADER]") if too_large else \
            ("BODY.PEEK[]", b"BODY[]")
        with _translated(self.target, "read"):
            found = self._client.fetch([uid], [part]).get(uid, {})
        data = found.get(key)
        if data is None:
            return None  # expunged by someone else meanwhile
        return RawMail(f"{validity}:{uid}", bytes(data), size,
                       received if isinstance(received, datetime) and received.tzinfo else None,
                       too_large=too_large)

    def _finish_move(self, validity: int, uid: int) -> bool:
        """A message handled before whose move did not happen: move it now, unread."""
        target = self.book.uid_target(self.name, validity, uid)
        if target is None:
            return False
        self._move(uid, target)
        self.book.forget_uid(self.name, validity, uid)
        return True

    def settle(self, mail: RawMail, destination: Destination, *, key: str) -> None:
        validity, _, uid_text = mail.ref.partition(":")
        uid, folder = int(uid_text), self.folders[destination]
        self.book.remember_uid(self.name, int(validity), uid, key, folder)
        with _translated(self.target, f"move to {folder}"):
            self._move(uid, folder)
        self.book.forget_uid(self.name, int(validity), uid)

    def restore(self, *, ref: str, message_id: str | None, key: str) -> bool:
        """Back from the Quarantine folder to the inbox folder, found by its Message-ID (a
        header search, then the exact key), or by reading each message when it has none."""
        del ref  # its UID was the inbox's; in Quarantine it has another
        quarantine = self.folders["quarantine"]
        with _translated(self.target, f"release from {quarantine}"):
            self._client.select_folder(quarantine)
            query = ["HEADER", "Message-ID", message_id] if message_id else ["NOT", "DELETED"]
            found = [uid for uid in self._client.search(query) if self._key_of(uid) == key]
            for uid in found:
                self._move(uid, self.target.folder)
        return bool(found)

    def _key_of(self, uid: int) -> str | None:
        data = self._client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
        return None if data is None else parse(bytes(data)).key

    def _move(self, uid: int, folder: str) -> None:
        if self._moves:
            self._client.move([uid], folder)
            return
        self._client.copy([uid], folder)
        self._client.add_flags([uid], [DELETED])
        if self._uidplus:
            self._client.uid_expunge([uid])
        # Without UIDPLUS the message stays flagged \Deleted: searches skip it, and a plain
        # EXPUNGE would also remove other people's deleted mail.

    def close(self) -> None:
        try:
            self._client.logout()
        except (IMAPClientError, imaplib.IMAP4.error, OSError):
            log.debug("IMAP logout failed; the connection is dropped anyway")
