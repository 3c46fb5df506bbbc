"""Raw Jira REST calls (what the `jira` library has no method for), each through the retry layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import requests

from connector.errors import MalformedAnswerError, NotDoneError, RetriableError
from connector.http.retry import HttpStatusError, Retrier, should_retry

T = TypeVar("T")


class Transport(Protocol):
    """Sends one request and returns Jira's response, whatever its status (never retries)."""

    def __call__(self, method: str, url: str, **kwargs: Any) -> requests.Response: ...


class JiraHttp:
    """JSON over the `jira` library's authenticated session, one retrying operation per call."""

    def __init__(
        self, *, base_url: str, api_version: str, transport: Transport, retrier: Retrier
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.retrier = retrier
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
                return parse(self._transport(method, url, **kwargs), what=what)
            except (requests.RequestException, HttpStatusError) as error:
                failed.append(error)
                raise

        try:
            return self.retrier.call(attempt, what=what, idempotent=idempotent)
        except RetriableError as error:
            # The retry layer's own rule for resending a create tells whether the last
            # attempt was done; callers that must not double a write need to know.
            if failed and should_retry(failed[-1], idempotent=False):
                raise NotDoneError(str(error)) from error
            raise

    def call(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        """Run a `jira` library call (raising HttpStatusError) through the retry layer."""
        return self.retrier.call(operation, what=what, idempotent=idempotent)


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
