"""Requests, replies and the route table: path templates like `/rest/api/{v}/issue/{key}`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from connector.sandbox.errors import ClientError, NoRouteError


@dataclass(slots=True)
class Request:
    """One HTTP request after routing; `version` is what `{v}` matched (Jira: "2" or "3")."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    version: str = "2"
    _json: Any = None
    _parsed: bool = False

    def json(self) -> Any:
        """The JSON body (None when empty); a ClientError when it does not parse."""
        if not self._parsed:
            self._parsed = True
            if self.body.strip():
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise ClientError(
                        f"Unexpected character in the request body: {exc}") from exc
        return self._json

    def header(self, name: str, default: str = "") -> str:
        """A request header, whatever the case the client wrote its name in."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), default)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def int_arg(self, name: str, default: int) -> int:
        return to_int(self.arg(name), default, name)

    def bool_arg(self, name: str, default: bool = False) -> bool:
        value = self.arg(name)
        return default if value is None else value.lower() == "true"


def to_int(value: object, default: int, name: str) -> int:
    """A non-negative integer parameter; a ClientError (a 400) for anything else."""
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise ClientError(f"The value '{value}' of parameter '{name}' is not a number.") from None
    if number < 0:
        raise ClientError(f"The value of parameter '{name}' must not be negative.")
    return number


@dataclass(slots=True)
class Reply:
    """What a route answers: a JSON-able `body`, or `raw` bytes with their content type."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


# A handler takes its tracker's application object (typed in each tracker's route modules).
Handler = Callable[[Any, Request], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    """One operation. `read` says whether it changes nothing (default: only GET reads)."""

    method: str
    pattern: str
    handler: Handler
    flavors: frozenset[str] | None = None  # None: every flavor of the tracker
    versions: tuple[str, ...] | None = None  # narrow `{v}`, e.g. ("3",) for v3-only
    read: bool | None = None

    @property
    def is_read(self) -> bool:
        return self.method in ("GET", "HEAD") if self.read is None else self.read

    @property
    def summary(self) -> str:
        """The first line of the handler's docstring: what the operation does."""
        return (self.handler.__doc__ or "").strip().split("\n")[0]


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: dict[str, str]
    version: str
    template: str  # e.g. "/rest/api/3/issue/{key}", for the request counters


class Router:
    """Matches method and path segment by segment; NoRouteError 404 for paths, 405 for methods.

    `versions` are what `{v}` may be for this flavor; `suffix` (Zendesk's ".json") may end the
    last segment of a path and is not part of any template.
    """

    def __init__(self, routes: Iterable[Route], *, flavor: str = "",
                 versions: tuple[str, ...] = (), suffix: str = "") -> None:
        self.suffix = suffix
        self._table: dict[int, list[tuple[tuple[str, ...], str, Route]]] = {}
        for route in routes:
            if route.flavors is not None and flavor not in route.flavors:
                continue
            allowed = route.versions or versions
            expansions = [v for v in allowed if v in versions] if "{v}" in \
                route.pattern else [""]
            for version in expansions:
                template = route.pattern.replace("{v}", version)
                segments = tuple(template.strip("/").split("/"))
                self._table.setdefault(len(segments), []).append((segments, version, route))

    def routes(self) -> list[tuple[str, Route]]:
        """(path template, route) for every entry, in the order they were given."""
        entries = [entry for bucket in self._table.values() for entry in bucket]
        return [("/" + "/".join(segments), route) for segments, _, route in entries]

    def match(self, method: str, path: str) -> Match:
        if self.suffix and path.endswith(self.suffix):
            path = path[:-len(self.suffix)]
        parts = path.strip("/").split("/")
        allowed = False
        for segments, version, route in self._table.get(len(parts), ()):
            params = _bind(segments, parts)
            if params is None:
                continue
            if route.method != method:
                allowed = True
                continue
            template = "/" + "/".join(segments)
            return Match(route, params, "3" if version == "3" else "2", template)
        if allowed:
            raise NoRouteError(405, f"Method {method} is not allowed for {path}.")
        raise NoRouteError(404, f"null for uri: {path}")


def _bind(segments: tuple[str, ...], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for segment, part in zip(segments, parts, strict=True):
        if segment.startswith("{"):
            if not part:
                return None
            params[segment[1:-1]] = unquote(part)
        elif segment != part:
            return None
    return params
