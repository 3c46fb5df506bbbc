"""Running JQL with paging: cached result lists, opaque page tokens, Cloud's and DC's page limits.

A query is evaluated once and its sorted id list kept (keyed by the JQL, the caller's time zone
and the store's version), so paging through 20,000 results costs one evaluation, not one per
page. `nextPageToken` names such a snapshot and an offset; if the snapshot has been evicted the
query is evaluated again and paging carries on from the same offset.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from collections import OrderedDict

from connector.sandbox.jira.errors import bad_request
from connector.sandbox.jira.query import CompiledQuery, compile_jql, evaluate
from connector.sandbox.jira.store import Store

# Cloud enhanced search: 50 issues a page by default; up to 5000 when only `id`/`key` are
# asked for, otherwise 100 (Jira "may return fewer when many fields are requested").
CLOUD_DEFAULT_PAGE = 50
CLOUD_MAX_PAGE_KEYS = 5000
CLOUD_MAX_PAGE_FIELDS = 100
# Data Center `/search`: `jira.search.views.default.max` is commonly 1000.
DC_DEFAULT_PAGE = 50
DC_MAX_PAGE = 1000
# Embedded history in Cloud search results: only the 40 newest (as Faros observed); use
# /changelog/bulkfetch or /issue/{key}/changelog for the rest.
SEARCH_CHANGELOG_CAP = 40
# Comments embedded in search results (both flavors): only the 20 newest, with the true total
# (Adaptavist's migration notes name 20 for Cloud; the sandbox holds Data Center to the same,
# so a client that relies on embedded comments fails here rather than on a busy ticket).
SEARCH_COMMENT_CAP = 20
UNBOUNDED = ("Unbounded JQL queries are not allowed here. Please add a search restriction to "
             "your query.")
_BAD_TOKEN = "The provided next page token is invalid or expired."  # noqa: S105 - a message
_SNAPSHOTS = 32


class Searcher:
    """Evaluates JQL against a store and remembers recent results for paging."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._snapshots: OrderedDict[int, tuple[str, list[int]]] = OrderedDict()
        self._by_query: dict[tuple[str, str, int], int] = {}
        self._ids = itertools.count(1)
        self.evaluations = 0  # how many times a query was really evaluated (not cached)

    def compile(self, jql: str, time_zone: str) -> CompiledQuery:
        return compile_jql(self.store, jql, time_zone)

    def results(self, jql: str, time_zone: str, compiled: CompiledQuery | None = None
                ) -> tuple[int, list[int]]:
        """(snapshot id, sorted matching ids), from cache when nothing changed since."""
        key = (jql.strip(), time_zone, self.store.version)
        with self._lock:
            snap = self._by_query.get(key)
            if snap is not None and snap in self._snapshots:
                self._snapshots.move_to_end(snap)
                return snap, self._snapshots[snap][1]
        ids = evaluate(self.store, compiled or self.compile(jql, time_zone))
        with self._lock:
            self.evaluations += 1
            snap = next(self._ids)
            self._snapshots[snap] = (jql.strip(), ids)
            self._by_query = {k: v for k, v in self._by_query.items() if v in self._snapshots}
            self._by_query[key] = snap
            while len(self._snapshots) > _SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return snap, ids

    def page_from_token(self, token: str, jql: str, time_zone: str) -> tuple[int, list[int], int]:
        """(snapshot, ids, offset) for a `nextPageToken` the same JQL was paged with."""
        snap, offset, digest = decode_token(token)
        if digest != _digest(jql):
            raise bad_request(_BAD_TOKEN)
        with self._lock:
            kept = self._snapshots.get(snap)
        if kept is not None:
            return snap, kept[1], offset
        snap, ids = self.results(jql, time_zone)
        return snap, ids, offset

    def clear(self) -> None:
        with self._lock:
            self._snapshots.clear()
            self._by_query.clear()


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:12]


def encode_token(snapshot: int, offset: int, jql: str) -> str:
    raw = json.dumps([snapshot, offset, _digest(jql)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        snap, offset, digest = json.loads(base64.urlsafe_b64decode(padded))
        return int(snap), int(offset), str(digest)
    except (ValueError, TypeError):
        raise bad_request(_BAD_TOKEN) from None


def encode_offset(offset: int, salt: str) -> str:
    """A stateless token for endpoints whose input fully determines the result (bulkfetch)."""
    return encode_token(0, offset, salt)


def decode_offset(token: str, salt: str) -> int:
    _, offset, digest = decode_token(token)
    if digest != _digest(salt):
        raise bad_request(_BAD_TOKEN)
    return offset
