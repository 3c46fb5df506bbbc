"""Raw Jira REST calls (what the `jira` library has no method for), each through the retry layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests

from connector.errors import AuthError
from connector.http.json_api import JsonApi, Transport, unreachable_at
from connector.http.json_api import parse as parse_json
from connector.http.retry import Remote, Retrier, UnreachableError

T = TypeVar("T")

# How the retry layer names Jira, and the settings to check when it refuses the credentials.
JIRA_REMOTE = Remote("Jira", "check TICKETFLOW_JIRA_EMAIL / TICKETFLOW_JIRA_TOKEN")


class JiraHttp(JsonApi):
    """JSON over the `jira` library's authenticated session, one retrying operation per call.

    `answered` says whether this Jira ever answered (in this process, or on an earlier run the
    state remembers): until it has, a connection that cannot be made fails at once, naming the
    URL and the variable, instead of minutes of retries. `auth_note` is added to a refusal of
    the credentials when something other than them may be the cause (the flavor)."""

    def __init__(
        self, *, base_url: str, api_version: str, transport: Transport, retrier: Retrier,
        answered: bool = False, auth_note: str = "",
    ) -> None:
        super().__init__(base_url=base_url, transport=transport, retrier=retrier,
                         remote=JIRA_REMOTE, variable="TICKETFLOW_JIRA_URL", answered=answered)
        self.api_version = api_version
        self.auth_note = auth_note

    def url(self, path: str, *, version: str | None = None) -> str:
        """`issue/HELP-1` -> `{base}/rest/api/3/issue/HELP-1`; paths from `/` are under the base
        URL, full URLs kept as given."""
        if path.startswith(("/", "http://", "https://")):
            return super().url(path)
        return f"{self.base_url}/rest/api/{version or self.api_version}/{path}"

    def get(
        self, path: str, *, params: Mapping[str, Any] | None = None, version: str | None = None
    ) -> Any:
        return self.send("GET", path, params=params, version=version, idempotent=True)

    def post(
        self, path: str, body: Any, *, idempotent: bool = False, version: str | None = None
    ) -> Any:
        return self.send("POST", path, json=body, version=version, idempotent=idempotent)

    def put(self, path: str, body: Any, *, version: str | None = None) -> Any:
        return self.send("PUT", path, json=body, version=version, idempotent=True)

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
        """One request with retries; the parsed JSON body, or None for an empty answer."""
        return self.request(method, self.url(path, version=version), params=params, json=json,
                            idempotent=idempotent)

    def call(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        """Run a `jira` library call (raising HttpStatusError) through the retry layer."""
        return self.retried(operation, what=what, idempotent=idempotent)

    def retried(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        """The retry layer, told whether this Jira ever answered; the flavor named on a 401
        when it may be the cause."""
        try:
            return super().retried(operation, what=what, idempotent=idempotent)
        except AuthError as error:
            if not self.auth_note or error.status != 401:  # 403 is permission, not flavor
                raise
            raise AuthError(f"{error}; {self.auth_note}", status=error.status) from None


def unreachable(base_url: str, error: UnreachableError) -> UnreachableError:
    """The error an operator can act on: which URL, from which variable, and why."""
    return unreachable_at(JIRA_REMOTE, base_url, "TICKETFLOW_JIRA_URL", error)


def parse(response: requests.Response, *, what: str = "Jira") -> Any:
    """The JSON body of a 2xx answer (None when empty); HttpStatusError for any other status;
    a MalformedAnswerError for a 2xx that is not JSON."""
    return parse_json(response, what=what, remote=JIRA_REMOTE)
