"""The Jira sandbox's application: its store and searcher, credentials, and Jira's error words."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from connector.sandbox import accounts
from connector.sandbox.application import App
from connector.sandbox.clock import SandboxClock, parse_iso
from connector.sandbox.errors import ClientError
from connector.sandbox.jira import bootstrap, webhooks
from connector.sandbox.jira.errors import ApiError
from connector.sandbox.jira.model import Flavor
from connector.sandbox.jira.search import Searcher
from connector.sandbox.jira.seed import seed_issues
from connector.sandbox.jira.store import Store
from connector.sandbox.jira.timeutil import zone
from connector.sandbox.routing import Request, Route

# REST versions served per flavor. Jira Cloud serves v2 and v3 (and `latest`, which is v2 for
# body formats); Data Center serves v2 only.
VERSIONS = {"cloud": ("2", "3", "latest"), "datacenter": ("2", "latest")}
_UNAUTHENTICATED = "Client must be authenticated to access this resource."
_ANONYMOUS_OK = ("/serverInfo",)  # Jira answers serverInfo without credentials


class JiraApp(App):
    """Everything a Jira route can reach: the store, search, clock, faults, counters."""

    tracker = "jira"
    server_name = "JiraSandbox/1.0"

    def __init__(self, *, flavor: Flavor, clock: SandboxClock, user_emails: Sequence[str],
                 time_zone: str, routes: Sequence[Route], control_routes: Sequence[Route],
                 observer_emails: Sequence[str] = ()) -> None:
        zone(time_zone)  # fail early on an unknown zone
        super().__init__(clock=clock, routes=routes, control_routes=control_routes,
                         flavor=flavor, versions=VERSIONS[flavor])
        self.flavor: Flavor = flavor
        self.user_emails = list(user_emails)
        self.observer_emails = list(observer_emails)
        self.time_zone = time_zone
        self.store = Store(flavor=flavor, clock=clock)
        self.searcher = Searcher(self.store)
        self.reset_data()

    def reset_data(self) -> None:
        with self.store.lock:
            self.store.clear()
            bootstrap.populate(self.store, user_emails=self.user_emails,
                               time_zone=self.time_zone, observer_emails=self.observer_emails)
            self.searcher.clear()

    def set_time_zone(self, name: str) -> None:
        """The API user's time zone: what `myself` says and how JQL date literals are read."""
        zone(name)
        with self.store.lock:
            self.time_zone = name
            for user in self.store.users.values():
                user.time_zone = name

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """{"count": N, "status": "To Do", "start": ISO-8601, "step_seconds": 60, "project"}."""
        try:
            count = int(payload.get("count", 0))
            start = parse_iso(str(payload["start"])) if payload.get("start") else None
            step = timedelta(seconds=float(payload.get("step_seconds", 60)))
        except (TypeError, ValueError) as exc:
            raise ClientError(f"Bad seed request: {exc}") from None
        keys = seed_issues(self.store, count, project=str(payload.get("project", "HELP")),
                           status=payload.get("status"), start=start, step=step)
        return {"created": len(keys), "first": keys[0] if keys else None,
                "last": keys[-1] if keys else None}

    # -- Jira's words ---------------------------------------------------------------------------

    def error(self, status: int, message: str,
              headers: Mapping[str, str] | None = None) -> ApiError:
        return ApiError(status, [message], headers=headers)

    def rate_limited(self, retry_after: int) -> ApiError:
        headers = {"Retry-After": str(retry_after), "X-RateLimit-Limit": "100",
                   "X-RateLimit-Remaining": "0", "RateLimit-Reason": "jira-burst-based"}
        return ApiError(429, ["Rate limit exceeded."], headers=headers)

    # -- credentials ------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header this flavor accepts (basic on Cloud, bearer PAT on DC)."""
        if self.flavor == "cloud":
            pair = base64.b64encode(f"{accounts.API_USER}:{accounts.API_TOKEN}".encode())
            return {"Authorization": f"Basic {pair.decode()}"}
        return {"Authorization": f"Bearer {accounts.API_TOKEN}"}

    def authenticate(self, request: Request) -> str | None:
        """The acting user's account id, or a 401.

        Cloud: basic auth with a user's e-mail and the token `sandbox-token` (the API user is
        `sandbox@example.test`). Data Center: a bearer PAT, `sandbox-token` for the API user
        and `sandbox-token-<name>` for any other user (`sandbox-token-alice` for alice@...).
        """
        auth = request.header("Authorization")
        if not auth and request.path.endswith(_ANONYMOUS_OK):
            return None
        scheme, _, credential = auth.partition(" ")
        users = {user.email: user for user in self.store.users.values() if user.active}
        if self.flavor == "cloud" and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            email, _, token = decoded.partition(":")
            if token == accounts.API_TOKEN and email in users:
                return users[email].account_id
        if self.flavor == "datacenter" and scheme.lower() == "bearer":
            token = credential.strip()
            for email, user in users.items():
                personal = (accounts.API_TOKEN if email == accounts.API_USER
                            else f"{accounts.API_TOKEN}-{email.partition('@')[0]}")
                if token == personal:
                    return user.account_id
        raise ApiError(401, [_UNAUTHENTICATED])

    @contextmanager
    def acting(self, actor: str | None) -> Iterator[None]:
        # The authenticated user acts for this request: changes, comments and `myself` are
        # theirs, so an engineer's change is not mistaken for ticketflow's own.
        with self.store.lock:
            api_user, self.store.me = self.store.me, actor or self.store.me
            try:
                yield
            finally:
                webhooks.publish(self)  # what the request changed, signed, off this thread
                self.store.me = api_user

