"""Opening the state file: a missing file is a first run (made whole, so replicas starting
together share it), an empty one is refused."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.state.sqlite import SqliteStateStore


def test_a_missing_file_is_created_as_a_new_state(tmp_path: Path) -> None:
    """No file at all: the first run creates it, with every migration applied."""
    store = SqliteStateStore(tmp_path / "state.db")
    try:
        assert store.bookmark("HELP") is None
    finally:
        store.close()
    assert (tmp_path / "state.db").stat().st_size > 0


def test_an_empty_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A 0-byte file is not a state: opening it raises a located ConfigError naming the file
    and --new-state, and the file stays empty."""
    path = tmp_path / "state.db"
    path.touch()
    with pytest.raises(ConfigError) as raised:
        SqliteStateStore(path)
    (problem,) = raised.value.problems
    assert problem.startswith(f"{path}: the state file is empty (0 bytes)")
    assert "--new-state" in problem
    assert path.stat().st_size == 0


def test_new_state_accepts_an_empty_file(tmp_path: Path) -> None:
    """With new_state, the empty file becomes a fresh state."""
    path = tmp_path / "state.db"
    path.touch()
    SqliteStateStore(path, new_state=True).close()
    assert path.stat().st_size > 0
    SqliteStateStore(path).close()  # no longer empty: opened as usual


_OPEN_WHEN_TOLD = """
import sys, time
from pathlib import Path
from connector.state.lease import state_id
from connector.state.sqlite import SqliteStateStore
go = Path(sys.argv[2])
Path(sys.argv[3]).touch()  # imported and ready
while not go.exists():
    time.sleep(0.001)
store = SqliteStateStore(sys.argv[1])
print(state_id(store.db))
store.close()
"""


def test_processes_starting_at_once_on_a_missing_file_share_one_new_state(
        tmp_path: Path) -> None:
    """Replicas started together on a state file that is not there yet: every one opens it
    (none sees a half-made, 0-byte file and refuses it as truncated), and all open the same
    state (one identity), in each of five rounds of eight processes."""
    for round_ in range(5):
        path, go = tmp_path / f"state-{round_}.db", tmp_path / f"go-{round_}"
        ready = [tmp_path / f"ready-{round_}-{number}" for number in range(8)]
        starting = [subprocess.Popen([sys.executable, "-c", _OPEN_WHEN_TOLD, str(path), str(go),
                                      str(flag)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True) for flag in ready]
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready):  # all waiting: then the starting gun
            assert time.monotonic() < deadline
            time.sleep(0.01)
        go.touch()
        outcomes = [process.communicate(timeout=60) for process in starting]
        assert [process.returncode for process in starting] == [0] * 8, outcomes
        assert len({out.strip() for out, _ in outcomes}) == 1
    assert not list(tmp_path.glob(".*.new"))  # nothing left beside the states
