"""HTTP errors below a route: one already worded as its tracker answers, and plain bad input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class HttpError(Exception):
    """Raised anywhere below a route; the server answers `status` with `body()` as JSON."""

    def __init__(self, status: int, payload: Any = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.payload = payload
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {payload}")

    def body(self) -> Any:
        return self.payload


class ClientError(ValueError):
    """Bad input found by code shared by every tracker; the tracker words it as its own 400."""


class NoRouteError(Exception):
    """No route for the path (404) or none for the method (405); the tracker words the answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)
