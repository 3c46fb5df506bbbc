"""The single-instance lock excludes a second process, and a dead holder frees it: a file lock
on SQLite, an advisory lock on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.errors import FatalError
from connector.state.store import SqlStateStore

ROOT = Path(__file__).resolve().parents[3]

# The child takes the lock, says so on stdout, and holds it until a line arrives on stdin:
# that handshake, not a sleep, tells the test when the lock is held and when it is let go.
HOLDER = """
import sys
from connector.state.location import open_state
store = open_state(sys.argv[1])
with store.lock():
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""

# The child tries once and reports what happened on stdout.
TRIER = """
import sys
from connector.errors import FatalError
from connector.state.location import open_state
try:
    with open_state(sys.argv[1]).lock():
        print("locked")
except FatalError as error:
    print(error)
"""


def _python(script: str, location: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, location], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.fixture
def holder(store: SqlStateStore, state_location: str) -> Iterator[subprocess.Popen[str]]:
    """A second process that holds the lock on the test's state until told to stop."""
    process = _python(HOLDER, state_location)
    assert process.stdout is not None
    line = process.stdout.readline()
    if line != "locked\n":
        process.kill()
        _, errors = process.communicate(timeout=30)
        pytest.fail(f"holder did not take the lock: {line!r} {errors}")
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def test_a_second_process_is_refused_while_the_lock_is_held(
    store: SqlStateStore, holder: subprocess.Popen[str]
) -> None:
    """While another process holds the lock, taking it fails naming the state and the
    holder's pid."""
    with pytest.raises(FatalError) as raised, store.lock():
        pass
    message = str(raised.value)
    assert message.startswith(f"another ticketflow is already working on state "
                              f"{store.location} (")
    assert f"pid {holder.pid}" in message
    assert message.endswith("; not starting a second one")


def test_the_lock_is_free_again_once_the_holder_lets_go(
    store: SqlStateStore, holder: subprocess.Popen[str]
) -> None:
    """After the holder leaves its `with` block, this process can take the lock."""
    output, _ = holder.communicate("\n", timeout=30)
    assert output == "released\n"
    with store.lock():
        pass


def test_a_killed_holder_does_not_leave_a_stale_lock(
    store: SqlStateStore, holder: subprocess.Popen[str]
) -> None:
    """The kernel drops the lock when its holder dies, so a crash never blocks a restart."""
    holder.kill()
    holder.wait(timeout=30)
    with store.lock():
        pass


def test_a_child_process_is_refused_while_this_one_holds_the_lock(
    store: SqlStateStore, state_location: str
) -> None:
    """The lock works in the other direction too, and names this process's pid."""
    with store.lock():
        output, errors = _python(TRIER, state_location).communicate(timeout=60)
    assert output.startswith(f"another ticketflow is already working on state {store.location}"), \
        errors
    assert f"pid {os.getpid()}" in output


def test_the_file_lock_records_the_holders_pid(sqlite_store: SqlStateStore, db_path: Path) -> None:
    """SQLite's lock file says which process holds it (the flock itself is the lock)."""
    with sqlite_store.lock():
        assert Path(f"{db_path}.lock").read_text() == f"{os.getpid()}\n"


def test_the_lock_can_be_taken_again_after_release(store: SqlStateStore) -> None:
    """Releasing the lock in-process lets the same store take it again."""
    with store.lock():
        pass
    with store.lock():
        pass
