"""JSON over HTTP to a tracker, one retrying operation per call: what every adapter's raw REST
access shares (parse or refuse the answer, remember that the tracker answered, say whether a
failed write was done)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import requests

from connector.errors import MalformedAnswerError, NotDoneError, RetriableError
from connector.http.retry import HttpStatusError, Remote, Retrier, UnreachableError, should_retry

T = TypeVar("T")


class Transport(Protocol):
    """Sends one request and returns the response, whatever its status (never retries)."""

    def __call__(self, method: str, url: str, **kwargs: Any) -> requests.Response: ...


class JsonApi:
    """Requests to one tracker at `base_url`, each through the retry layer.

    `answered` says whether this tracker ever answered (in this process, or on an earlier run
    the state remembers): until it has, a connection that cannot be made fails at once, naming
    the URL and its setting (`variable`), instead of minutes of retries."""

    def __init__(self, *, base_url: str, transport: Transport, retrier: Retrier, remote: Remote,
                 variable: str, answered: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.retrier = retrier
        self.remote = remote
        self.variable = variable
        self.answered = answered
        self.server_date: datetime | None = None  # the last answer's `Date`: the tracker's clock
        self._transport = transport

    def url(self, path: str) -> str:
        """Paths from `/` are under the base URL; a full URL (a next page) is kept."""
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, data: bytes | None = None,
                headers: Mapping[str, str] | None = None, idempotent: bool) -> Any:
        """One request with retries; the parsed JSON body, or None for an empty answer. A
        write that failed without being done raises NotDoneError (safe to send again)."""
        url = self.url(path)
        what = f"{method} {url.removeprefix(self.base_url).split('?')[0]}"
        failed: list[BaseException] = []  # the last attempt's failure, if it failed

        def attempt() -> Any:
            failed.clear()
            kwargs: dict[str, Any] = {"params": dict(params) if params else None}
            if json is not None:
                kwargs["json"] = json
            if data is not None:
                kwargs["data"] = data
            if headers:
                kwargs["headers"] = dict(headers)
            try:
                response = self._transport(method, url, **kwargs)
                self.answered = True
                self.server_date = _date(response) or self.server_date
                return parse(response, what=what, remote=self.remote)
            except (requests.RequestException, HttpStatusError) as error:
                failed.append(error)
                raise

        try:
            return self.retried(attempt, what=what, idempotent=idempotent)
        except RetriableError as error:
            # The retry layer's own rule for resending a create tells whether the last
            # attempt was done; callers that must not double a write need to know.
            if failed and should_retry(failed[-1], idempotent=False):
                raise NotDoneError(str(error)) from error
            raise

    def retried(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        """The retry layer, told whether this tracker ever answered."""
        try:
            result = self.retrier.call(operation, what=what, idempotent=idempotent,
                                       first_contact=not self.answered, remote=self.remote)
        except UnreachableError as error:
            raise unreachable_at(self.remote, self.base_url, self.variable, error) from None
        self.answered = True
        return result


def unreachable_at(remote: Remote, base_url: str, variable: str,
                   error: UnreachableError) -> UnreachableError:
    """The error an operator can act on: which URL, from which variable, and why."""
    return UnreachableError(
        f"cannot connect to {remote.name} at {base_url} ({variable})",
        f"{error.cause}; expected {remote.name} to answer there: check the URL and that "
        f"{remote.name} is up")


def _date(response: requests.Response) -> datetime | None:
    """The answer's `Date` header as an aware datetime, or None when absent or unreadable."""
    try:
        when = parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse(response: requests.Response, *, what: str, remote: Remote) -> Any:
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
            f"{what}: {remote.name} answered HTTP {response.status_code} with {kind}, not JSON "
            f"(something between us and {remote.name}, such as a proxy, may have answered)"
        ) from None
