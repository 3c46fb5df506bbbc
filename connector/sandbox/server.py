"""HTTP plumbing: a threading HTTP/1.1 server with keep-alive that hands each request to the App."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connector.sandbox.application import App

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 60  # idle keep-alive connections are closed after this long


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a requests.Session reuses its connection
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't delay them
    server_version = "Sandbox/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server_version = self.server.app.server_name  # "JiraSandbox/1.0", ...
        self.server.track(self)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        body = self._read_body()
        outcome = self.server.app.handle(self.command, self.path, dict(self.headers.items()),
                                         body)
        if outcome.drop:
            # An injected dropped connection: close without a single byte of answer.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        if outcome.status != 204:
            self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        if outcome.status != 204 and outcome.body:
            self.wfile.write(outcome.body)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header on the sandbox's clock, as a tracker's server writes its own."""
        now = self.server.app.clock.now().timestamp() if timestamp is None else timestamp
        return email.utils.formatdate(now, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):  # called for every request; format only if shown
            log.debug("%s %s", self.client_address[0], format % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Tracks open connections so `close_all` can end keep-alive threads at shutdown."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._open: dict[_Handler, threading.Thread] = {}
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, handler: _Handler) -> None:
        with self._open_lock:
            self._open[handler] = threading.current_thread()

    def untrack(self, handler: _Handler) -> None:
        with self._open_lock:
            self._open.pop(handler, None)

    def close_all(self, wait_s: float = 2.0) -> None:
        """Shut every open connection and wait for its thread, so no socket is left behind."""
        with self._open_lock:
            open_now = list(self._open.items())
        for handler, _ in open_now:
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
        for _, thread in open_now:
            thread.join(wait_s)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal under fault injection; keep stderr quiet.
        log.debug("connection from %s ended with an error", client_address)
