"""Fault injection (429, 500, 503, dropped connections, latency; seeded); request counters."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from connector.sandbox.errors import ClientError


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Rates are probabilities per request; one draw decides drop, then 429, then 500, then 503.
    `rate_503: 1` is an outage: every request answered "service unavailable"."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0
    latency_ms: float = 0.0
    retry_after: int = 1
    seed: int | None = None

    @classmethod
    def from_json(cls, payload: Any) -> FaultConfig:
        """Validate `POST /_sandbox/faults`; unknown keys and bad numbers are a 400."""
        if not isinstance(payload, dict):
            raise ClientError("Send a JSON object such as {\"rate_429\": 0.1, \"seed\": 1}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise ClientError(f"Unknown fault settings {unknown}; known: {sorted(known)}.")
        config = cls(**payload)
        rates = (config.rate_429, config.rate_500, config.rate_503, config.rate_drop)
        if any(not isinstance(r, int | float) or r < 0 for r in rates) or sum(rates) > 1:
            raise ClientError("Fault rates must be numbers from 0 to 1 that add up to at most 1.")
        if not isinstance(config.latency_ms, int | float) or config.latency_ms < 0:
            raise ClientError("latency_ms must be a non-negative number.")
        if not isinstance(config.retry_after, int) or config.retry_after < 0:
            raise ClientError("retry_after must be a whole number of seconds.")
        return config

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Faults:
    """Decides, request by request, which fault to inject; the same seed gives the same run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.configure(FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)  # noqa: S311 - test faults, not crypto

    def draw(self) -> str | None:
        """"drop", "429", "500", "503" or None for the next request."""
        with self._lock:
            config = self.config
            if not (config.rate_drop or config.rate_429 or config.rate_500 or config.rate_503):
                return None
            roll = self._random.random()
        for kind, rate in (("drop", config.rate_drop), ("429", config.rate_429),
                           ("500", config.rate_500), ("503", config.rate_503)):
            if roll < rate:
                return kind
            roll -= rate
        return None


class RequestCounter:
    """Counts requests by `METHOD /path/{template}` and by method, reads apart from writes.

    A read is a request that changes nothing: GET, and the POSTs that only query (Jira's
    `POST /search/jql`, for one), as their route declares. Control endpoints are not counted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._methods: Counter[str] = Counter()
        self._writes = 0
        self._faults: Counter[str] = Counter()

    def count(self, method: str, template: str, *, read: bool) -> None:
        with self._lock:
            self._counts[f"{method} {template}"] += 1
            self._methods[method] += 1
            self._writes += not read

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            total = sum(self._counts.values())
            return {"total": total, "reads": total - self._writes, "writes": self._writes,
                    "by_method": dict(sorted(self._methods.items())),
                    "by_endpoint": dict(sorted(self._counts.items())),
                    "faults": dict(sorted(self._faults.items()))}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._methods.clear()
            self._writes = 0
            self._faults.clear()
