"""Raw Jira REST calls (what the `jira` library has no method for), each through the retry layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import requests

from connector.errors import AuthError, MalformedAnswerError, NotDoneError, RetriableError
from connector.http.retry import HttpStatusError, Remote, Retrier, UnreachableError, should_retry

T = TypeVar("T")

# How the retry layer names Jira, and the settings to check when it refuses the credentials.
JIRA_REMOTE = Remote("Jira", "check TICKETFLOW_JIRA_EMAIL / TICKETFLOW_JIRA_TOKEN")


class Transport(Protocol):
    """Sends one request and returns Jira's response, whatever its status (never retries)."""

    def __call__(self, method: str, url: str, **kwargs: Any) -> requests.Response: ...


class JiraHttp:
    """JSON over the `jira` library's authenticated session, one retrying operation per call.

    `answered` says whether this Jira ever answered (in this process, or on an earlier run the
    state remembers): until it has, a connection that cannot be made fails at once, naming the
    URL and the variable, instead of minutes of retries. `auth_note` is added to a refusal of
    the credentials when something other than them may be the cause (the flavor)."""

    def __init__(
        self, *, base_url: str, api_version: str, transport: Transport, retrier: Retrier,
        answered: bool = False, auth_note: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.retrier = retrier
        self.answered = answered
        self.auth_note = auth_note
        self._transport = transport

    def url(self, path: str, *, version: str | None = None) -> str:
        """`issue/HELP-1` -> `{base}/rest/api/3/issue/HELP-1`; paths from `/` are kept as given."""
        if path.startswith("/"):
            return self.base_url + path
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
        url = self.url(path, version=version)
        what = f"{method} {url.removeprefix(self.base_url)}"
        failed: list[BaseException] = []  # the last attempt's failure, if it failed

        def attempt() -> Any:
            failed.clear()
            kwargs: dict[str, Any] = {"params": dict(params) if params else None}
            if json is not None:
                kwargs["json"] = json
            try:
                response = self._transport(method, url, **kwargs)
                self.answered = True
                return parse(response, what=what)
            except (requests.RequestException, HttpStatusError) as error:
                failed.append(error)
                raise

        try:
            return self._retried(attempt, what=what, idempotent=idempotent)
        except RetriableError as error:
            # The retry layer's own rule for resending a create tells whether the last
            # attempt was done; callers that must not double a write need to know.
            if failed and should_retry(failed[-1], idempotent=False):
                raise NotDoneError(str(error)) from error
            raise

    def call(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        """Run a `jira` library call (raising HttpStatusError) through the retry layer."""
        return self._retried(operation, what=what, idempotent=idempotent)

    def _retried(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        """The retry layer, told whether this Jira ever answered; the flavor named on a 401
        when it may be the cause."""
        try:
            result = self.retrier.call(operation, what=what, idempotent=idempotent,
                                       first_contact=not self.answered, remote=JIRA_REMOTE)
        except UnreachableError as error:
            raise unreachable(self.base_url, error) from None
        except AuthError as error:
            if not self.auth_note or error.status != 401:  # 403 is permission, not flavor
                raise
            raise AuthError(f"{error}; {self.auth_note}", status=error.status) from None
        self.answered = True
        return result


def unreachable(base_url: str, error: UnreachableError) -> UnreachableError:
    """The error an operator can act on: which URL, from which variable, and why."""
    return UnreachableError(
        f"cannot connect to Jira at {base_url} (TICKETFLOW_JIRA_URL)",
        f"{error.cause}; expected Jira to answer there: check the URL and that Jira is up")


def parse(response: requests.Response, *, what: str = "Jira") -> Any:
    """The JSON body of a 2xx answer (None when empty); HttpStatusError for any other status.

    A 2xx answer that is not JSON (a proxy's login or maintenance page served with 200) is a
    MalformedAnswerError: every endpoint ticketflow calls answers JSON or nothing."""
    if not response.ok:
        raise HttpStatusError(response)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise MalformedAnswerError(
            f"{what}: Jira answered HTTP {response.status_code} with {kind}, not JSON "
            f"(something between us and Jira, such as a proxy, may have answered)") from None
