"""The `Sandbox` object (start, stop, control from Python) and `serve`, which the CLI calls."""

from __future__ import annotations

import base64
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import FrameType, TracebackType
from typing import Any, TextIO

from connector.clock import Clock
from connector.errors import FatalError
from connector.sandbox import (
    routes_admin,
    routes_comments,
    routes_control,
    routes_issues,
    routes_meta,
    routes_search,
)
from connector.sandbox.application import App
from connector.sandbox.bootstrap import API_TOKEN, API_USER, DEFAULT_TIME_ZONE, shipped_user_emails
from connector.sandbox.faults import FaultConfig
from connector.sandbox.model import FLAVORS, Flavor
from connector.sandbox.seed import seed_issues
from connector.sandbox.server import SandboxHTTPServer
from connector.sandbox.store import Store
from connector.sandbox.timeutil import SandboxClock

ROUTES = (routes_meta.ROUTES + routes_issues.ROUTES + routes_comments.ROUTES
          + routes_search.ROUTES + routes_admin.ROUTES + routes_control.ROUTES)


class Sandbox:
    """A Jira look-alike on loopback. See the package docstring for what it serves."""

    def __init__(self, flavor: str = "cloud", *, host: str = "127.0.0.1", port: int = 0,
                 time_zone: str = DEFAULT_TIME_ZONE, now: datetime | None = None,
                 clock: Clock | None = None, users: Sequence[str] | None = None) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {FLAVORS}, not {flavor!r}")
        self.flavor: Flavor = "cloud" if flavor == "cloud" else "datacenter"
        self.host = host
        self.port = port
        self.clock = SandboxClock(clock, now)
        emails = list(users) if users is not None else shipped_user_emails()
        self.app = App(flavor=self.flavor, clock=self.clock, user_emails=emails,
                       time_zone=time_zone, routes=ROUTES)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Listen (port 0 picks a free one) and serve from a daemon thread."""
        if self._server is not None:
            return self
        server = SandboxHTTPServer((self.host, self.port), self.app)
        self.port = int(server.server_address[1])
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
        self.app.base_url = f"http://{shown}:{self.port}"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={
            "poll_interval": 0.05}, name=f"jira-sandbox-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_all()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self.app.base_url:
            raise RuntimeError("the sandbox is not started; call start() first")
        return self.app.base_url

    # -- credentials -----------------------------------------------------------------------

    email = API_USER
    token = API_TOKEN

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header this flavor accepts (basic on Cloud, bearer PAT on DC)."""
        if self.flavor == "cloud":
            pair = base64.b64encode(f"{API_USER}:{API_TOKEN}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {"Authorization": f"Bearer {API_TOKEN}"}

    # -- control, the same as the /_sandbox/ endpoints --------------------------------------

    @property
    def store(self) -> Store:
        """Direct access for tests; hold `store.lock` while the server runs."""
        return self.app.store

    def reset(self) -> None:
        """Starting data again; faults, counters and notifications cleared; the clock kept."""
        self.app.reset_data()
        self.app.faults.configure(FaultConfig())
        self.app.counter.reset()

    def now(self) -> datetime:
        return self.clock.now()

    def set_clock(self, when: datetime) -> None:
        """Freeze the sandbox clock at `when` (timezone-aware)."""
        self.clock.set(when)

    def advance_clock(self, delta: timedelta) -> datetime:
        return self.clock.advance(delta)

    def follow_base_clock(self) -> None:
        """Unfreeze: follow the clock given to the constructor, or the wall clock."""
        self.clock.follow_base()

    def set_faults(self, **settings: Any) -> FaultConfig:
        """rate_429, rate_500, rate_drop, latency_ms, retry_after, seed (see FaultConfig)."""
        config = FaultConfig.from_json(settings)
        self.app.faults.configure(config)
        return config

    def clear_faults(self) -> None:
        self.app.faults.configure(FaultConfig())

    def request_counts(self) -> dict[str, Any]:
        """{"total": N, "by_endpoint": {"GET /rest/api/3/issue/{key}": n}, "faults": {...}}."""
        return self.app.counter.snapshot()

    def reset_request_counts(self) -> None:
        self.app.counter.reset()

    def notifications(self) -> list[dict[str, object]]:
        with self.store.lock:
            return list(self.store.notifications)

    def set_time_zone(self, name: str) -> None:
        self.app.set_time_zone(name)

    def seed_issues(self, count: int, **options: Any) -> list[str]:
        """Bulk-create issues fast (no HTTP); options as `connector.sandbox.seed.seed_issues`."""
        with self.store.lock:
            return seed_issues(self.store, count, **options)


def serve(*, flavor: str = "cloud", host: str = "127.0.0.1", port: int = 2990,
          time_zone: str = DEFAULT_TIME_ZONE, out: TextIO | None = None) -> int:
    """Run a sandbox in the foreground until Ctrl-C or SIGTERM; returns the exit code 0."""
    stream = out or sys.stdout
    sandbox = Sandbox(flavor, host=host, port=port, time_zone=time_zone)
    try:
        sandbox.start()
    except OSError as exc:
        raise FatalError(f"cannot listen on {host}:{port}: {exc}") from exc
    auth = ("basic auth, user sandbox@example.test, API token sandbox-token"
            if flavor == "cloud" else "bearer personal access token sandbox-token")
    print(f"Jira sandbox ({flavor}) listening on {sandbox.url}", file=stream)
    print(f"Credentials: {auth}", file=stream)
    print(f"Control: {sandbox.url}/_sandbox/ (reset, clock, faults, requests, notifications)",
          file=stream, flush=True)
    stopping = threading.Event()
    previous = _on_sigterm(stopping)
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    print("Jira sandbox stopped.", file=stream, flush=True)
    return 0


def _on_sigterm(stopping: threading.Event) -> Any:
    """Make SIGTERM end `serve` cleanly (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    return signal.signal(signal.SIGTERM, handler)
