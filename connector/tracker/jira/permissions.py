"""A 403 from Jira: the account refused (stop the job) or one issue refused (fail its effect)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from connector.errors import AuthError, ForbiddenError, TrackerError
from connector.tracker.jira.http import JIRA_REMOTE, JiraHttp

T = TypeVar("T")


class AccountCheckedHttp(JiraHttp):
    """Tells a 403 about the account (GET myself is refused too: a revoked token, a locked
    account) from a 403 about one issue or operation (the account is accepted; that issue's
    permissions refuse it). The first stops the job; the second fails only its own effect."""

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        version: str | None = None,
        idempotent: bool,
    ) -> Any:
        try:
            return super().send(
                method, path, params=params, json=json, version=version, idempotent=idempotent
            )
        except ForbiddenError as error:
            raise self._whose(error) from None

    def call(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        try:
            return super().call(operation, what=what, idempotent=idempotent)
        except ForbiddenError as error:
            raise self._whose(error) from None

    def _whose(self, error: ForbiddenError) -> TrackerError:
        try:
            super().send("GET", "myself", idempotent=True)
        except (AuthError, ForbiddenError):
            return AuthError(
                f"{error}; GET myself is refused too, so Jira refused the credentials; "
                f"{JIRA_REMOTE.auth_hint}",
                status=403,
            )
        return error
