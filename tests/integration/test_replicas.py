"""Three `ticketflow run` replicas on one state (a SQLite file, a PostgreSQL schema), their
leader SIGKILLed ten times and SIGSTOPped ten times in the middle of its work over a simulated
day, end where one process alone ends."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_VARIABLE, STATE_BACKENDS

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _harness() -> object:
    sys.path.insert(0, str(BENCH))
    for name in ("fault_equivalence", "replica_equivalence"):
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["replica_equivalence"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", STATE_BACKENDS)
def test_replicas_hit_twenty_times_end_where_one_process_ends(
        backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        request: pytest.FixtureRequest) -> None:
    """On each state engine: identical final status, tier, category and assignee of every
    ticket; every (ticket, template, recipient) message exactly once and reading the same; one
    ticket per mail; ten SIGKILLs and ten SIGSTOPs of the leader, each followed by a take-over
    within two lease periods (measured from the signal to another replica saying it leads)."""
    postgres = None
    if backend == "postgres":
        request.getfixturevalue("postgres_url")  # skips (fails under CI) without a server
        postgres = os.environ[POSTGRES_VARIABLE]  # the bench makes a schema per run
    harness = _harness()
    problems, rows, takeovers = harness.run(  # type: ignore[attr-defined]
        30, 20, 11, tmp_path, postgres)
    with capsys.disabled():
        print(f"\n{backend}:\n" + harness.table(rows))  # type: ignore[attr-defined]
    assert problems == []
    hit = next(row for row in rows if row[0].startswith("leaders SIGKILLed"))
    assert hit[2] == "10 / 10"
    assert len(takeovers) == 20
    assert max(takeovers) < 2 * harness.LEASE_SECONDS  # type: ignore[attr-defined]
    compared = next(row for row in rows if row[0].startswith("tickets compared"))
    assert compared[1] == compared[2] == "30"
