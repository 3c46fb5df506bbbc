"""Requests, replies and the route table: path templates like `/rest/api/{v}/issue/{key}`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from connector.sandbox.errors import ApiError, bad_request

if TYPE_CHECKING:
    from connector.sandbox.application import App

# REST versions served per flavor. Jira Cloud serves v2 and v3 (and `latest`, which is v2 for
# body formats); Data Center serves v2 only.
VERSIONS = {"cloud": ("2", "3", "latest"), "datacenter": ("2", "latest")}
BOTH = frozenset({"cloud", "datacenter"})
CLOUD = frozenset({"cloud"})
DC = frozenset({"datacenter"})


@dataclass(slots=True)
class Request:
    """One HTTP request after routing; `version` is "2" or "3" (`latest` reads as "2")."""

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
        """The JSON body (None when empty); 400 with Jira's wording when it does not parse."""
        if not self._parsed:
            self._parsed = True
            if self.body.strip():
                try:
                    self._json = json.loads(self.body)
                except ValueError as exc:
                    raise bad_request(f"Unexpected character in the request body: {exc}") from exc
        return self._json

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
    """A non-negative integer parameter; 400 like Jira for anything else."""
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise bad_request(f"The value '{value}' of parameter '{name}' is not a number.") from None
    if number < 0:
        raise bad_request(f"The value of parameter '{name}' must not be negative.")
    return number


@dataclass(slots=True)
class Reply:
    """What a route answers: a JSON-able `body`, or `raw` bytes with their content type."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["App", Request], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    flavors: frozenset[str] = BOTH
    versions: tuple[str, ...] | None = None  # narrow `{v}`, e.g. ("3",) for v3-only


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: dict[str, str]
    version: str
    template: str  # e.g. "/rest/api/3/issue/{key}", for the request counters


class Router:
    """Matches method and path segment by segment; 404 for unknown paths, 405 for methods."""

    def __init__(self, routes: Iterable[Route], flavor: str) -> None:
        self._table: dict[int, list[tuple[tuple[str, ...], str, Route]]] = {}
        for route in routes:
            if flavor not in route.flavors:
                continue
            versions = route.versions or VERSIONS[flavor]
            expansions = [v for v in versions if v in VERSIONS[flavor]] if "{v}" in \
                route.pattern else [""]
            for version in expansions:
                template = route.pattern.replace("{v}", version)
                segments = tuple(template.strip("/").split("/"))
                self._table.setdefault(len(segments), []).append((segments, version, route))

    def match(self, method: str, path: str) -> Match:
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
            raise ApiError(405, [f"Method {method} is not allowed for {path}."])
        raise ApiError(404, [f"null for uri: {path}"])


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
