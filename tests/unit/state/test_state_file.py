"""Opening the state file: a missing file is a first run, an empty one is refused."""

from __future__ import annotations

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
