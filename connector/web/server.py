"""The HTTP side of `ticketflow run`: /healthz, /metrics, the feedback form, /report and
/hooks/."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from connector.metrics import REGISTRY

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"/feedback/[^\s?\"]+")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def service_app(*, health: Callable[[], tuple[bool, str]],
                feedback: WsgiApp | None = None, report: WsgiApp | None = None,
                hooks: WsgiApp | None = None,
                health_details: Callable[[], dict[str, object]] | None = None) -> WsgiApp:
    """One WSGI application: health, metrics, /feedback/ handed to the feedback app,
    /report (/report.json) to the report's and /hooks/ to the webhook endpoint.
    `/healthz?format=json` gives the probe's parts (role, lease, jobs) when `health_details`
    is given; the status code is the same as the text form's."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and health_details is not None and \
                environ.get("QUERY_STRING", "") == "format=json":
            details = health_details()
            start_response("200 OK" if details["healthy"] else "503 Service Unavailable",
                           [("Content-Type", "application/json")])
            return [json.dumps(details).encode()]
        if path == "/healthz":
            healthy, reason = health()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{'ok' if healthy else 'unhealthy'}: {reason}\n".encode()]
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(REGISTRY)]
        if path.startswith("/feedback/") and feedback is not None:
            return feedback(environ, start_response)
        if path.startswith("/hooks/") and hooks is not None:
            return hooks(environ, start_response)
        if path in ("/report", "/report.json") and report is not None:
            return report(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Access lines go to our logger at debug, not to stderr."""

    timeout = 30  # seconds a client may take to send its request: no trickling it forever

    def log_message(self, format: str, *args: Any) -> None:
        # A feedback link's token is a credential for one answer: keep it out of the logs.
        log.debug("http %s", _TOKEN.sub("/feedback/***", format % args))


class HttpService:
    """Serves the app in a daemon thread until `close()`."""

    def __init__(self, app: WsgiApp, *, host: str, port: int) -> None:
        self.server = make_server(host, port, app, server_class=_ThreadingServer,
                                  handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="http",
                                       daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else host
        return f"http://{shown}:{port}"

    def start(self) -> HttpService:
        self.thread.start()
        log.debug("serving on %s", self.url)  # `run` says where, in its start-up summary
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
