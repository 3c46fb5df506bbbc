"""The CI-sized fault-equivalence run: a simulated week of about 200 tickets, clean and then
with 10% 429s, 2% 500s, 1% dropped connections and 5 SIGKILLs, ends in the same place."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _harness() -> object:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("fault_equivalence",
                                                  BENCH / "fault_equivalence.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_equivalence"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_faults_and_kills_change_nothing(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Same final status, tier, category and assignee for every ticket; every (ticket,
    template, recipient) message exactly once in both runs and the same set; one ticket per
    mail. The compared counts are printed."""
    harness = _harness()
    problems, rows = harness.run(200, 5, 7, tmp_path)  # type: ignore[attr-defined]
    with capsys.disabled():
        print("\n" + harness.table(rows))  # type: ignore[attr-defined]
    assert problems == []
    killed = next(row for row in rows if row[0].startswith("processes killed"))
    assert killed[2] == "5"
    compared = next(row for row in rows if row[0].startswith("tickets compared"))
    assert compared[1] == compared[2] == "200"
