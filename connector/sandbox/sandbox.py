"""The `Sandbox` object (start, stop, control from Python) and `serve`, which the CLI calls."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import FrameType, TracebackType
from typing import Any, TextIO

from connector.clock import Clock
from connector.errors import FatalError, UsageError
from connector.sandbox import jira, zendesk
from connector.sandbox.accounts import API_TOKEN, API_USER, shipped_user_emails
from connector.sandbox.clock import SandboxClock
from connector.sandbox.faults import FaultConfig
from connector.sandbox.jira.app import JiraApp
from connector.sandbox.jira.bootstrap import DEFAULT_TIME_ZONE, OBSERVERS, add_project
from connector.sandbox.jira.model import FLAVORS
from connector.sandbox.jira.seed import seed_issues
from connector.sandbox.server import SandboxHTTPServer
from connector.sandbox.webhooks import Delivery
from connector.sandbox.zendesk.app import ZendeskApp

TRACKERS = ("jira", "zendesk")


class Sandbox:
    """A tracker look-alike on loopback. See the package docstring for what it serves."""

    def __init__(self, flavor: str | None = None, *, tracker: str = "jira",
                 host: str = "127.0.0.1", port: int = 0, time_zone: str = DEFAULT_TIME_ZONE,
                 now: datetime | None = None, clock: Clock | None = None,
                 users: Sequence[str] | None = None) -> None:
        if tracker not in TRACKERS:
            raise ValueError(f"tracker must be one of {TRACKERS}, not {tracker!r}")
        self.tracker = tracker
        self.host = host
        self.port = port
        self.clock = SandboxClock(clock, now)
        emails = list(users) if users is not None else shipped_user_emails()
        self.app: JiraApp | ZendeskApp
        self.flavor: str | None = None
        if tracker == "zendesk":
            if flavor is not None:
                raise ValueError("flavor is a Jira notion; leave it out for Zendesk")
            self.app = zendesk.make_app(clock=self.clock, agent_emails=emails)
        else:
            flavor = flavor or "cloud"
            if flavor not in FLAVORS:
                raise ValueError(f"flavor must be one of {FLAVORS}, not {flavor!r}")
            self.flavor = flavor
            self.app = jira.make_app(
                flavor="cloud" if flavor == "cloud" else "datacenter", clock=self.clock,
                user_emails=emails, time_zone=time_zone,
                observer_emails=OBSERVERS if users is None else ())
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
            "poll_interval": 0.05}, name=f"{self.tracker}-sandbox-{self.port}", daemon=True)
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
        """The Authorization header the tracker accepts for the API user."""
        return self.app.auth_headers()

    # -- control, the same as the /_sandbox/ endpoints --------------------------------------

    @property
    def store(self) -> Any:  # the Jira or the Zendesk store
        """Direct access for tests; hold `store.lock` while the server runs."""
        return self.app.store

    def reset(self) -> None:
        """Starting data again; faults, counters and webhook log cleared; the clock kept."""
        self.app.reset()

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
        """rate_429, rate_500, rate_503, rate_drop, latency_ms, retry_after, seed (FaultConfig)."""
        config = FaultConfig.from_json(settings)
        self.app.faults.configure(config)
        return config

    def clear_faults(self) -> None:
        self.app.faults.configure(FaultConfig())

    def request_counts(self) -> dict[str, Any]:
        """{"total", "reads", "writes", "by_method", "by_endpoint", "faults"}."""
        return self.app.counter.snapshot()

    def reset_request_counts(self) -> None:
        self.app.counter.reset()

    def seed(self, count: int) -> dict[str, Any]:
        """Create `count` sample tickets, as `POST /_sandbox/seed {"count": N}` does."""
        with self.app.acting(None):
            return self.app.seed({"count": count})

    def webhook_deliveries(self, *, wait_s: float = 10.0) -> list[Delivery]:
        """Webhook deliveries attempted so far, after waiting for the queue to drain."""
        self.app.webhooks.wait_idle(wait_s)
        return self.app.webhooks.log()

    # -- Jira only -------------------------------------------------------------------------

    def _jira(self) -> JiraApp:
        if not isinstance(self.app, JiraApp):
            raise TypeError(f"only the Jira sandbox has this; this one is {self.tracker}")
        return self.app

    def notifications(self) -> list[dict[str, object]]:
        store = self._jira().store
        with store.lock:
            return list(store.notifications)

    def add_project(self, key: str, name: str = "", *,
                    unassignable: Sequence[str] = ()) -> str:
        """Add a project like HELP, as `POST /_sandbox/projects` does (the `unassignable`
        people may not be assigned its issues); returns its id."""
        app = self._jira()
        with app.acting(None):
            return str(add_project(app.store, key, name, unassignable).id)

    def set_time_zone(self, name: str) -> None:
        self._jira().set_time_zone(name)

    def seed_issues(self, count: int, **options: Any) -> list[str]:
        """Bulk-create issues fast (no HTTP); options as `connector.sandbox.jira.seed`."""
        store = self._jira().store
        with store.lock:
            return seed_issues(store, count, **options)


def serve(*, tracker: str = "jira", flavor: str | None = None, host: str = "127.0.0.1",
          port: int = 2990, time_zone: str = DEFAULT_TIME_ZONE, seed: int = 0,
          out: TextIO | None = None) -> int:
    """Run a sandbox in the foreground until Ctrl-C or SIGTERM; returns the exit code 0.

    `seed` sample tickets are created before it starts listening.
    """
    stream = out or sys.stdout
    try:
        sandbox = Sandbox(flavor, tracker=tracker, host=host, port=port, time_zone=time_zone)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if seed:
        sandbox.seed(seed)
    try:
        sandbox.start()
    except OSError as exc:
        raise FatalError(f"cannot listen on {host}:{port}: {exc}") from exc
    title = "Jira sandbox" if tracker == "jira" else "Zendesk sandbox"
    name = f"{title} ({sandbox.flavor})" if sandbox.flavor else title
    auth = {"cloud": "basic auth, user sandbox@example.test, API token sandbox-token",
            "datacenter": "bearer personal access token sandbox-token"}.get(
        sandbox.flavor or "", "basic auth sandbox@example.test/token:sandbox-token, or "
                              "bearer sandbox-token")
    print(f"{name} listening on {sandbox.url}", file=stream)
    print(f"Credentials: {auth}", file=stream)
    if seed:
        print(f"Seeded {seed} sample tickets.", file=stream)
    print(f"Control: {sandbox.url}/_sandbox/ (lists reset, clock, faults, requests, seed, ...)",
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
    print(f"{title} stopped.", file=stream, flush=True)
    return 0


def _on_sigterm(stopping: threading.Event) -> Any:
    """Make SIGTERM end `serve` cleanly (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    return signal.signal(signal.SIGTERM, handler)
