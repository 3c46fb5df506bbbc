"""Every kind of bad configuration gets its own fixture and exact expected message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connector.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"
CASES = sorted(p.name for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def _assemble(case: str, target: Path) -> Path:
    """The minimal valid config with the case's files laid over it (and DELETE'd ones gone)."""
    shutil.copytree(FIXTURES / "valid" / "minimal", target)
    case_dir = FIXTURES / "invalid" / case
    shutil.copytree(
        case_dir,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("expected.txt", "DELETE"),
    )
    deletions = case_dir / "DELETE"
    if deletions.exists():
        for name in deletions.read_text().split():
            (target / name).unlink()
    return target


def test_every_kind_of_error_the_issue_names_has_a_fixture() -> None:
    """The fixture set covers each error class admins hit (so none silently loses its test)."""
    required = {
        "yaml_syntax",
        "tab_indentation",
        "empty_file",
        "unknown_key",
        "wrong_type",
        "bad_duration",
        "invalid_regex",
        "unknown_references",
        "duplicate_rule_names",
        "include_cycle",
        "missing_file",
    }
    assert required <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_validate_prints_each_problem_located(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ticketflow validate` exits 2, prints exactly the fixture's expected lines, no traceback."""
    config_dir = _assemble(case, tmp_path / "config")
    expected = (FIXTURES / "invalid" / case / "expected.txt").read_text()
    expected = expected.replace("{config_dir}", str(config_dir))

    code = main(["validate", "--config-dir", str(config_dir)])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == expected
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("case", CASES)
def test_problem_lines_follow_the_house_format(case: str) -> None:
    """Each line reads FILE:LINE:COL: key.path: what is wrong; what was expected."""
    lines = (FIXTURES / "invalid" / case / "expected.txt").read_text().splitlines()
    problems = lines[:-1]
    assert problems, "a fixture must expect at least one problem"
    assert lines[-1].startswith("ticketflow: ")
    for line in problems:
        file_part, line_no, column, rest = line.split(":", 3)
        assert file_part.endswith((".yaml", ".j2")), line
        assert int(line_no) >= 1 and int(column) >= 1, line
        path, _, message = rest.strip().partition(": ")
        assert path, line
        assert "; expected" in message, line
