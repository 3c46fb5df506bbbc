"""The Zendesk sandbox's application: store, credentials, Zendesk's error words, lifecycle."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from connector.sandbox import accounts
from connector.sandbox.application import App
from connector.sandbox.clock import SandboxClock
from connector.sandbox.errors import ClientError
from connector.sandbox.routing import Request, Route
from connector.sandbox.zendesk import bootstrap, webhooks
from connector.sandbox.zendesk.errors import UNAUTHENTICATED, ZendeskError
from connector.sandbox.zendesk.incremental import IncrementalLimit
from connector.sandbox.zendesk.seed import seed_tickets
from connector.sandbox.zendesk.store import Store
from connector.sandbox.zendesk.tickets import close_solved

_ERRORS = {400: "InvalidValue", 404: "InvalidEndpoint", 405: "InvalidEndpoint",
           500: "InternalError"}


class ZendeskApp(App):
    """Everything a Zendesk route can reach: the store, the incremental limit, the clock."""

    tracker = "zendesk"
    server_name = "ZendeskSandbox/1.0"

    def __init__(self, *, clock: SandboxClock, agent_emails: Sequence[str],
                 routes: Sequence[Route], control_routes: Sequence[Route]) -> None:
        super().__init__(clock=clock, routes=routes, control_routes=control_routes,
                         suffix=".json")
        self.agent_emails = list(agent_emails)
        self.store = Store(clock=clock)
        self.incremental = IncrementalLimit(clock)
        self.reset_data()

    def reset_data(self) -> None:
        with self.store.lock:
            self.store.clear()
            bootstrap.populate(self.store, agent_emails=self.agent_emails)
            self.incremental.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """{"count": N}: N sample tickets from the sample customers, status new."""
        try:
            count = int(payload.get("count", 0))
        except (TypeError, ValueError) as exc:
            raise ClientError(f"Bad seed request: {exc}") from None
        if count < 0:
            raise ClientError("count must not be negative.")
        ids = seed_tickets(self.store, count)
        return {"created": len(ids), "first": ids[0] if ids else None,
                "last": ids[-1] if ids else None}

    # -- Zendesk's words -------------------------------------------------------------------------

    def error(self, status: int, message: str,
              headers: Mapping[str, str] | None = None) -> ZendeskError:
        description = "Not found" if status in (404, 405) else message
        return ZendeskError(status, _ERRORS.get(status, "Error"), description, headers=headers)

    def rate_limited(self, retry_after: int) -> ZendeskError:
        return ZendeskError(429, "APIRateLimitExceeded",
                            "Number of allowed API requests per minute exceeded",
                            headers={"Retry-After": str(retry_after)})

    # -- credentials ------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Basic auth `sandbox@example.test/token:sandbox-token`, as Zendesk API tokens."""
        pair = f"{accounts.API_USER}/token:{accounts.API_TOKEN}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}

    def authenticate(self, request: Request) -> str | None:
        """The acting user's id, or Zendesk's 401.

        API token: basic auth `EMAIL/token:sandbox-token` for the admin and every agent.
        OAuth: `Bearer sandbox-token` is the admin, `Bearer sandbox-token-<name>` an agent
        (`sandbox-token-bob` for bob@...).
        """
        scheme, _, credential = request.header("Authorization").partition(" ")
        agents = {u.email.lower(): u for u in self.store.users.values() if u.is_agent}
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            login, _, secret = decoded.partition(":")
            email, _, kind = login.partition("/")
            user = agents.get(email.lower())
            if user is not None and kind == "token" and secret == accounts.API_TOKEN:
                return str(user.id)
        if scheme.lower() == "bearer":
            for email, user in agents.items():
                token = (accounts.API_TOKEN if email == accounts.API_USER
                         else f"{accounts.API_TOKEN}-{email.partition('@')[0]}")
                if credential.strip() == token:
                    return str(user.id)
        raise ZendeskError(401, UNAUTHENTICATED)

    @contextmanager
    def acting(self, actor: str | None) -> Iterator[None]:
        with self.store.lock:
            close_solved(self.store)  # Zendesk's automation, run when someone looks
            api_user, self.store.me = self.store.me, int(actor) if actor else self.store.me
            try:
                yield
            finally:
                webhooks.publish(self)
                self.store.me = api_user
