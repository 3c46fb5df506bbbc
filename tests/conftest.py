"""Test-wide setup: markers follow folders (tests/unit -> unit, ...), shared config fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
