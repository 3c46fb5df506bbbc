"""Small typed values kept across runs: baselines, census, breaker, installation keys,
configuration checks, rotations, and the tracker adapters' own notes."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from connector.state.concerns import Census
from connector.state.sql import Database
from connector.state.timestamps import from_text, to_text

# One statement, so two processes can never hand out the same turn.
_NEXT_TURN = (
    "INSERT INTO rotations (name, turns) VALUES (?, 1) "
    "ON CONFLICT (name) DO UPDATE SET turns = rotations.turns + 1 RETURNING turns"
)


class NotesSql:
    """`Rotations`, `Baselines`, `Censuses`, `CircuitBreakers`, `InstallationKeys`,
    `ConfigChecks` and `TrackerNotes` on the state's connection."""

    _db: Database

    def _upsert(self, doing: str, sql: str, values: tuple[object, ...]) -> None:
        with self._db.translated(doing):
            self._db.execute(sql, values)

    def _one(self, sql: str, values: tuple[object, ...]) -> object | None:
        row = self._db.execute(sql, values).fetchone()
        return None if row is None else cast("object", row[0])

    def next_in_rotation(self, name: str, size: int) -> int:
        """Advance the named round-robin counter; the index (0..size-1) whose turn it is."""
        if size < 1:
            raise ValueError(f"rotation {name} needs at least one member")
        with self._db.translated(f"advancing rotation {name}"):
            # fetchall: a RETURNING statement commits only once stepped to its end (SQLite).
            [(turns,)] = self._db.execute(_NEXT_TURN, (name,)).fetchall()
        return (int(turns) - 1) % size

    def baseline(self, project: str) -> datetime | None:
        found = self._one("SELECT taken_at FROM baselines WHERE project = ?", (project,))
        return None if found is None else from_text(str(found))

    def record_baseline(self, project: str, baseline: datetime) -> None:
        self._upsert(f"recording the baseline of {project}",
                     "INSERT INTO baselines (project, taken_at) VALUES (?, ?) "
                     "ON CONFLICT (project) DO UPDATE SET taken_at = excluded.taken_at",
                     (project, to_text(baseline)))

    def last_census(self, project: str) -> Census | None:
        row = self._db.execute("SELECT taken_at, gap FROM censuses WHERE project = ?",
                               (project,)).fetchone()
        return None if row is None else Census(from_text(row[0]), int(row[1]))

    def record_census(self, project: str, *, at: datetime, gap: int) -> None:
        self._upsert(f"recording the census of {project}",
                     "INSERT INTO censuses (project, taken_at, gap) VALUES (?, ?, ?) ON CONFLICT "
                     "(project) DO UPDATE SET taken_at = excluded.taken_at, gap = excluded.gap",
                     (project, to_text(at), gap))

    def breaker_reported_at(self, issue_key: str) -> datetime | None:
        found = self._one("SELECT reported_at FROM breaker_reports WHERE issue_key = ?",
                          (issue_key,))
        return None if found is None else from_text(str(found))

    def record_breaker_report(self, issue_key: str, at: datetime) -> None:
        self._upsert(f"recording the circuit breaker of {issue_key}",
                     "INSERT INTO breaker_reports (issue_key, reported_at) VALUES (?, ?) "
                     "ON CONFLICT (issue_key) DO UPDATE SET reported_at = excluded.reported_at",
                     (issue_key, to_text(at)))

    def installation_key(self, name: str, candidate: str) -> str:
        """The key called `name`, kept from the first call that made one (anywhere)."""
        with self._db.translated(f"keeping the {name} key"):
            self._db.execute("INSERT INTO installation_keys (name, value, created_at) VALUES "
                             "(?, ?, ?) ON CONFLICT (name) DO NOTHING",
                             (name, candidate, to_text(datetime.now().astimezone())))
        return str(self._one("SELECT value FROM installation_keys WHERE name = ?", (name,)))

    def checked_fingerprint(self, tracker_url: str) -> str | None:
        found = self._one("SELECT fingerprint FROM config_checks WHERE tracker_url = ?",
                          (tracker_url,))
        return None if found is None else str(found)

    def record_config_check(self, tracker_url: str, fingerprint: str) -> None:
        self._upsert("recording the configuration check",
                     "INSERT INTO config_checks (tracker_url, fingerprint) VALUES (?, ?) "
                     "ON CONFLICT (tracker_url) DO UPDATE SET fingerprint = excluded.fingerprint",
                     (tracker_url, fingerprint))

    def meta(self, key: str) -> str | None:
        """A tracker adapter's own note, or None."""
        found = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if found is None else str(found)

    def set_meta(self, key: str, value: str) -> None:
        self._upsert(f"setting {key}", "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT "
                     "(key) DO UPDATE SET value = excluded.value", (key, value))
