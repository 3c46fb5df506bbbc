"""The one retry layer for calls to a tracker: classify failures, honour Retry-After, back off,
budget. Which tracker answered, and which settings hold its credentials, the adapter says
(`Remote`); nothing here is one tracker's."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
import urllib3.exceptions
from tenacity import RetryCallState, Retrying, retry_if_exception

from connector import metrics
from connector.errors import (
    AuthError,
    FatalError,
    ForbiddenError,
    RetriableError,
    TicketflowError,
    TrackerError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# The server refused these without doing the work, so even a POST that creates may be sent
# again.
REFUSED_UNDONE = frozenset({429, 503})
# A gateway timed out or failed: the work may or may not have happened.
GATEWAY = frozenset({502, 504})


@dataclass(frozen=True)
class Remote:
    """Who answers, for the errors that name it: the tracker's name, and what to check when
    it refuses ticketflow's credentials (the adapter's settings)."""

    name: str = "the tracker"
    auth_hint: str = "check the tracker's credentials"


TRACKER = Remote()


class HttpStatusError(Exception):
    """A non-2xx answer, before it is classified and turned into a TicketflowError."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")

    @property
    def status(self) -> int:
        return self.response.status_code

    def payload(self) -> Mapping[str, Any]:
        """The error body as JSON (Jira: `errorMessages`, `errors`; Zendesk: `error`,
        `description`, `details`), or {} when it is not JSON."""
        try:
            body = self.response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}


class UnreachableError(FatalError):
    """No connection could be made to a tracker that has not answered yet: a wrong URL, a
    wrong scheme or a tracker that is down. Retrying for minutes would only hide that."""

    def __init__(self, what: str, cause: str) -> None:
        self.what, self.cause = what, cause
        super().__init__(f"{what}: {cause}")


def cannot_connect(error: BaseException) -> bool:
    """No connection was made at all: the name did not resolve, the port refused, the TLS
    handshake failed or connecting timed out. (A connection reset mid-answer is not this: that
    server exists.)"""
    if isinstance(error, requests.exceptions.SSLError | requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):
        return False
    reason = error.args[0] if error.args else None
    return isinstance(getattr(reason, "reason", reason), urllib3.exceptions.NewConnectionError)


def connection_cause(error: BaseException) -> str:
    """What went wrong while connecting, in an operator's words: DNS, refused, TLS, timeout."""
    text = str(error)
    if isinstance(error, requests.exceptions.SSLError):
        reason = "wrong version number" if "WRONG_VERSION_NUMBER" in text.upper() else text
        return (f"TLS failed ({reason[:160]}); if the server speaks plain HTTP there, the URL "
                "should start with http://")
    if isinstance(error, requests.ConnectTimeout):
        return "timed out while connecting (a firewall, or nothing at that address)"
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "DNS: the host name was not found"
    if "Connection refused" in text:
        return "connection refused: nothing listens at that host and port"
    return f"cannot connect ({type(error).__name__})"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: exponential backoff from `base` to `cap`, all within `budget` seconds."""

    budget: float = 120.0
    base: float = 1.0
    cap: float = 30.0
    max_attempts: int = 10


def should_retry(error: BaseException, *, idempotent: bool, first_contact: bool = False) -> bool:
    """The single place that decides retry-or-fail for a failed attempt. Before a tracker has
    answered once, a connection that cannot be made is not retried: retries are for a tracker
    that answered before and is having a bad minute."""
    if isinstance(error, HttpStatusError):
        return error.status in REFUSED_UNDONE or (idempotent and error.status in GATEWAY)
    if first_contact and cannot_connect(error):
        return False
    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return idempotent or _never_sent(error)
    return False


def _never_sent(error: requests.RequestException) -> bool:
    """True when the connection was never made, so the server cannot have acted on it."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    return "NewConnectionError" in type(getattr(reason, "reason", reason)).__name__


def retry_after(response: requests.Response, *, now: datetime) -> float | None:
    """Seconds the server asked us to wait: `Retry-After` as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def as_error(error: BaseException, *, what: str, remote: Remote = TRACKER) -> TicketflowError:
    """Turn a failed attempt into the error the caller acts on. Never includes credentials."""
    if isinstance(error, HttpStatusError):
        return _status_error(error, what=what, remote=remote)
    if isinstance(error, requests.RequestException):
        return RetriableError(f"{what}: cannot reach {remote.name} ({type(error).__name__})")
    if isinstance(error, TicketflowError):
        return error
    return TrackerError(f"{what}: {type(error).__name__}: {error}")


def _login_refused(response: requests.Response) -> bool:
    """Jira Data Center marks a 403 that is about the login itself (a bad token, a CAPTCHA
    after failed logins) with `X-Seraph-LoginReason`; any other 403 is about permissions."""
    reason = response.headers.get("X-Seraph-LoginReason", "")
    return reason.upper().startswith(("AUTHENTICATED_FAILED", "AUTHENTICATION_DENIED"))


def _details(body: Mapping[str, Any]) -> list[str]:
    """What an error body says, in the shapes trackers write: Jira's `errorMessages` and
    `errors` (field -> message); Zendesk's `error` and `description`, and `details` (field ->
    list of {description})."""
    said = [str(m) for m in body.get("errorMessages") or [] if m]
    for key in ("errors", "details"):
        fields = body.get(key)
        if isinstance(fields, dict):
            for name, value in fields.items():
                items = value if isinstance(value, list) else [value]
                said += [f"{name}: {v.get('description', v) if isinstance(v, dict) else v}"
                         for v in items]
    for key in ("error", "description"):
        if isinstance(body.get(key), str) and body[key]:
            said.append(body[key])
    return said


def _status_error(failure: HttpStatusError, *, what: str, remote: Remote) -> TicketflowError:
    status = failure.status
    if status == 401 or (status == 403 and _login_refused(failure.response)):
        return AuthError(
            f"{remote.name} refused the credentials (HTTP {status}) for {what}; "
            f"{remote.auth_hint}", status=status)
    details = _details(failure.payload())
    text = f"{what}: {remote.name} answered HTTP {status}"
    if details:
        text += ": " + "; ".join(details)
    if status >= 500 or status in REFUSED_UNDONE:
        return RetriableError(text)
    if status == 403:
        # Whether the account or only this item is refused takes a second question (Jira:
        # GET myself); the tracker adapter asks it.
        return ForbiddenError(f"{text} (the account may not do this here)", status=status,
                              error_messages=details)
    return TrackerError(text, status=status, error_messages=details)


class Retrier:
    """Runs one operation on a tracker, retrying what may be retried; sleep and clocks are
    injected."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._jitter = jitter

    def call(self, operation: Callable[[], T], *, what: str, idempotent: bool = True,
             first_contact: bool = False, remote: Remote = TRACKER) -> T:
        """Run `operation`; return its result or raise a TicketflowError (never a raw one)
        naming `remote`. With `first_contact`, a connection that cannot be made raises
        UnreachableError at once."""
        started = self._monotonic()
        retrying = Retrying(
            retry=retry_if_exception(lambda e: should_retry(
                e, idempotent=idempotent, first_contact=first_contact)),
            wait=self._wait,
            stop=lambda state: self._over_budget(state, started),
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(state, what),
            retry_error_callback=lambda state: self._give_up(state, what, started),
        )
        try:
            return retrying(lambda: _counted(operation))
        except TicketflowError:
            raise
        except Exception as error:  # noqa: BLE001 - every failure is translated here, once
            if first_contact and cannot_connect(error):
                raise UnreachableError(what, connection_cause(error)) from None
            raise as_error(error, what=what, remote=remote) from None

    def _wait(self, state: RetryCallState) -> float:
        """Jittered exponential backoff, never shorter than what the server asked for."""
        attempt = state.attempt_number
        backoff = min(self.policy.cap, self.policy.base * 2 ** (attempt - 1))
        asked = self._asked(state)
        if asked is not None:
            return asked + self._jitter(0.0, backoff / 2)
        return self._jitter(backoff / 2, backoff)

    def _asked(self, state: RetryCallState) -> float | None:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, HttpStatusError):
            return retry_after(error.response, now=self._wall_clock())
        return None

    def _over_budget(self, state: RetryCallState, started: float) -> bool:
        elapsed = self._monotonic() - started
        return (
            state.attempt_number >= self.policy.max_attempts
            or elapsed + state.upcoming_sleep > self.policy.budget
        )

    def _log_retry(self, state: RetryCallState, what: str) -> None:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, HttpStatusError) and error.status in REFUSED_UNDONE:
            metrics.RATE_LIMIT_WAITS.inc()
            metrics.RATE_LIMIT_SECONDS.inc(state.upcoming_sleep)
        log.warning(
            "%s failed (%s); retrying in %.1fs (attempt %d)",
            what,
            _describe(error),
            state.upcoming_sleep,
            state.attempt_number,
            extra={"retry_in": state.upcoming_sleep, "attempt": state.attempt_number},
        )

    def _give_up(self, state: RetryCallState, what: str, started: float) -> Any:
        error = state.outcome.exception() if state.outcome else None
        elapsed = self._monotonic() - started
        raise RetriableError(
            f"{what}: still failing ({_describe(error)}) after {state.attempt_number} attempts "
            f"in {elapsed:.0f}s (budget {self.policy.budget:.0f}s, {self.policy.max_attempts} "
            f"attempts; next wait {state.upcoming_sleep:.0f}s); will try again later"
        )


def _counted(operation: Callable[[], T]) -> T:
    """One attempt, counted by outcome for /metrics (every request passes through here)."""
    try:
        result = operation()
    except HttpStatusError as error:
        metrics.TRACKER_REQUESTS.labels(metrics.outcome_of_status(error.status)).inc()
        raise
    except requests.RequestException:
        metrics.TRACKER_REQUESTS.labels("connection_error").inc()
        raise
    metrics.TRACKER_REQUESTS.labels("ok").inc()
    return result


def _describe(error: BaseException | None) -> str:
    if isinstance(error, HttpStatusError):
        return f"HTTP {error.status}"
    return type(error).__name__ if error is not None else "no outcome"
