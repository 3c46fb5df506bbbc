"""Test-wide setup: markers follow folders (tests/unit -> unit, ...), shared config fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from connector.state.store import SqlStateStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_FOLDER_MARKERS = {"unit", "contract", "integration"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = set(Path(str(item.path)).relative_to(Path(__file__).parent).parts)
        for marker in _FOLDER_MARKERS & parts:
            item.add_marker(marker)


@pytest.fixture
def shipped_config(tmp_path: Path) -> Path:
    """A private copy of the shipped rules.yaml, mappings.yaml and rules/ to read or edit."""
    for name in ("rules.yaml", "mappings.yaml", "rules", "schema"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copyfile(source, tmp_path / name)
    return tmp_path


@pytest.fixture
def two_projects_config(tmp_path: Path) -> Path:
    """The minimal config with mappings.yaml listing two Jira projects: SUP (the default) and
    OPS, which spells statuses and fields its own way and has its own mail address."""
    folder = tmp_path / "two-projects"
    shutil.copytree(FIXTURES / "config" / "valid" / "minimal", folder)
    shutil.copyfile(FIXTURES / "config" / "valid" / "two_projects" / "mappings.yaml",
                    folder / "mappings.yaml")
    return folder


# -- the state on both backends ---------------------------------------------------------------
# TICKETFLOW_TEST_POSTGRES is a URL of a database the tests may create schemas in (.ci/run
# starts the server and sets it). Each test gets a schema of its own, dropped afterwards, so
# no test sees another's rows. Without it the PostgreSQL tests skip, saying why; under CI
# (CI=true) they fail instead, so a missing server cannot pass unnoticed.
POSTGRES_VARIABLE = "TICKETFLOW_TEST_POSTGRES"
STATE_BACKENDS = ("sqlite", "postgres")


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, empty schema of the test database (its search_path), dropped after
    the test."""
    import psycopg

    from connector.state.location import scratch_schema

    base = os.environ.get(POSTGRES_VARIABLE)
    if not base:
        _postgres_unavailable(f"{POSTGRES_VARIABLE} is not set (`.ci/run` starts PostgreSQL)")
    assert base is not None
    with ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_schema(base, prefix="test"))
        except psycopg.OperationalError as error:
            _postgres_unavailable(f"cannot connect to {POSTGRES_VARIABLE}: {error}")
        yield url


@pytest.fixture(params=STATE_BACKENDS)
def state_backend(request: pytest.FixtureRequest) -> str:
    """Each test that asks runs once per backend: `sqlite` and `postgres`."""
    return str(request.param)


@pytest.fixture
def state_location(state_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """TICKETFLOW_STATE_DB for this test: a file in its folder, or its own PostgreSQL schema."""
    if state_backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    folder = tmp_path / "state"
    folder.mkdir(exist_ok=True)
    return str(folder / "ticketflow.db")


@pytest.fixture
def state_store(state_location: str) -> Iterator[SqlStateStore]:
    """A migrated store at `state_location` (so once per backend), closed after the test."""
    from connector.state.location import open_state

    opened = open_state(state_location)
    yield opened
    opened.close()
