"""Real SMTP servers on loopback for delivery tests: aiosmtpd with STARTTLS (or implicit TLS)
and AUTH, its certificate from a throwaway CA made by trustme, that can be told to refuse
MAIL FROM, a recipient or DATA; and a bare socket server that greets with an error or
accepts connections and never answers (a hanging server)."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER, PASSWORD = "ticketflow", "s3cret-smtp"
# aiosmtpd logs a deprecation notice of its own on every AUTH; not ours to fix.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Sink:
    """aiosmtpd handler: keeps what it accepts; can be told to answer DATA with an error,
    MAIL FROM with `mail_reply`, and RCPT TO of an address with `rcpt_replies[address]`."""

    received: list[Received] = field(default_factory=list)
    reply: str = "250 OK"
    mail_reply: str = "250 OK"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server: SMTP, session: Session,  # noqa: N802 - aiosmtpd names it
                          envelope: Envelope, address: str, mail_options: list[str]) -> str:
        if self.mail_reply.startswith("250"):
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
        return self.mail_reply

    async def handle_RCPT(self, server: SMTP, session: Session,  # noqa: N802 - aiosmtpd names it
                          envelope: Envelope, address: str, rcpt_options: list[str]) -> str:
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802 - aiosmtpd names it
                          envelope: Envelope) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        content = envelope.original_content or b""
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                          bytes(content)))
        return self.reply


def _authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # unhandled: the server answers 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """Started in a thread; `url` is what TICKETFLOW_SMTP_URL should say to reach it."""

    def __init__(self, folder: Path, *, implicit_tls: bool = False) -> None:
        self.ca = trustme.CA()
        self.cafile = folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.cafile))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.sink = Sink()
        self.port = free_port()
        self.implicit_tls = implicit_tls
        # aiosmtpd cannot tell that an implicit-TLS session is encrypted, so it would hide
        # AUTH there; with STARTTLS it refuses AUTH until the upgrade (as real servers do).
        tls: dict[str, Any] = (
            {"ssl_context": context, "auth_require_tls": False} if implicit_tls else
            {"tls_context": context, "require_starttls": True, "auth_require_tls": True})
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port,
                                     authenticator=_authenticate, **tls)

    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        tls = "" if self.implicit_tls else "starttls=true&"
        return f"{scheme}://{USER}@127.0.0.1:{self.port}?{tls}timeout=5&cafile={self.cafile}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class BareServer:
    """A socket server for what aiosmtpd will not do: greet with `greeting` (e.g. a 554), or,
    with `greeting=None`, accept every connection and never say a word (a hanging server).
    `connections` counts the connections it accepted."""

    def __init__(self, greeting: str | None = None) -> None:
        self.greeting = greeting
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false"

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._held.append(connection)  # kept open: the client waits for its reply
            if self.greeting is not None:
                connection.sendall(f"{self.greeting}\r\n".encode())

    def __enter__(self) -> BareServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self._held:
            connection.close()
        self.listener.close()


class WindowMeter:
    """Times the crash window of delivery: from the server accepting a message to the outbox
    row saying it was sent. A crash inside it re-sends that one message."""

    def __init__(self) -> None:
        self.window = 0.0
        self.sends = 0
        self._accepted_at: float | None = None

    def mailer(self, inner: Any) -> Any:
        meter = self

        class Timed:
            def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
                inner.send(message, sender=sender, recipient=recipient, name=name)
                meter._accepted_at = time.perf_counter()

            def close(self) -> None:
                inner.close()
        return Timed()

    def store(self, inner: Any) -> Any:
        meter = self

        class Timed:
            def __getattr__(self, name: str) -> Any:
                return getattr(inner, name)

            def mark_sent(self, message_id: int, **fields: Any) -> None:
                inner.mark_sent(message_id, **fields)
                if meter._accepted_at is not None:
                    meter.window += time.perf_counter() - meter._accepted_at
                    meter.sends += 1
                    meter._accepted_at = None
        return Timed()
