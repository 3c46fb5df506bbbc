"""An SMTP server for the fault-equivalence runs that can be told to be down or to hang.

`up`: it takes every message and writes it into a folder as `KEY-TEMPLATE-N.eml`, the names
the outbox folder mailer gives, so a run through SMTP is compared exactly like a run through
the folder. `refuse`: it greets with 421 (service not available) and hangs up. `hang`: it
accepts the connection and never says a word. A bare socket server: it speaks just enough
SMTP for Python's smtplib (no TLS, no AUTH), and needs nothing beyond the standard library.
"""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from pathlib import Path
from typing import Literal

Mode = Literal["up", "refuse", "hang"]
TEMPLATES = Path(__file__).resolve().parents[1] / "rules" / "templates"
_KEY = re.compile(r"^\[(?P<key>[A-Z][A-Z0-9_]*-\d+)\] (?P<rest>.*)$", re.DOTALL)


def _subjects() -> dict[str, str]:
    """The fixed text of each shipped template's subject ("Assigned to you") -> its name."""
    found = {}
    for path in TEMPLATES.glob("*.txt.j2"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        fixed = first.split("}}]", 1)[-1].split("{{", 1)[0].strip().rstrip(":").strip()
        found[fixed] = path.name.removesuffix(".txt.j2")
    return found


class FaultySmtp:
    """Serves on a free loopback port in a thread until `close()`; `mode` may change at any
    time and applies to the next connection."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.mode: Mode = "up"
        self.accepted = 0
        self.refused = 0
        self.hung = 0
        self.subjects = _subjects()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, timeout: float) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false&timeout={timeout}"

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            if self.mode == "hang":
                self.hung += 1
                self._held.append(connection)  # open and silent until close()
            elif self.mode == "refuse":
                self.refused += 1
                connection.sendall(b"421 4.3.2 down for maintenance\r\n")
                connection.close()
            else:
                threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            connection.sendall(b"220 faulty-smtp ready\r\n")
            while line := reader.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    connection.sendall(b"354 end with <CRLF>.<CRLF>\r\n")
                    self._store(self._data(reader))
                    connection.sendall(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL, RCPT, RSET, NOOP: all fine
                    connection.sendall(b"250 ok\r\n")

    @staticmethod
    def _data(reader: object) -> bytes:
        lines = []
        for line in iter(reader.readline, b""):  # type: ignore[attr-defined]
            if line == b".\r\n":
                break
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        return b"".join(lines)

    def _store(self, data: bytes) -> None:
        subject = str(message_from_bytes(data, policy=policy.default)["Subject"] or "")
        found = _KEY.match(subject)
        key, rest = (found["key"], found["rest"]) if found else ("unknown", subject)
        template = next((name for fixed, name in self.subjects.items()
                         if rest.startswith(fixed)), "unknown")
        with self._lock:
            self.accepted += 1
            name = f"{key}-{template}-{self.accepted}.eml"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self._held:
            connection.close()
        self.listener.close()
