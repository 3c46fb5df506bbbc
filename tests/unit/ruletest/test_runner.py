"""`ticketflow test` as an admin runs it: dots, failures explained, exit codes, located errors
for a bad test file, JUnit XML and -k."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from connector.cli import main

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "ruletest"
INVALID = sorted(p.name for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["test", "--config-dir", str(ROOT), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _fixture(name: str) -> str:
    return str(FIXTURES / name)


def _timeless(text: str) -> str:
    return re.sub(r" in \d+\.\d s$", " in {seconds} s", text, flags=re.MULTILINE)


def test_a_passing_file_prints_a_dot_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """Every expectation holds: one dot for the one case, the count, exit 0."""
    code, out, err = _run(capsys, _fixture("passing.yaml"))
    assert code == 0
    assert _timeless(out) == ("tests/fixtures/ruletest/passing.yaml .\n"
                              "1 passed in {seconds} s\n")
    assert err == ""


def test_failed_expectations_are_shown_where_written_side_by_side_and_explained(
        capsys: pytest.CaptureFixture[str]) -> None:
    """F per failed case; for each, the step it stopped at, every expectation of that step
    that failed (file:line, expected, actual) and the explain lines of the rules involved;
    exit 1. The whole output is held to the fixture's expected text."""
    code, out, _ = _run(capsys, _fixture("failing.yaml"))
    assert code == 1
    assert _timeless(out) == (FIXTURES / "failing.expected.txt").read_text()


def test_a_timeline_the_workflow_refuses_is_an_error_of_that_case(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A step the tracker refuses (no transition from Pending to Complete) ends the case in
    E with the tracker's words; the other files' cases still run; exit 1."""
    code, out, _ = _run(capsys, _fixture("error.yaml"), _fixture("passing.yaml"))
    assert code == 1
    lines = out.splitlines()
    assert lines[:2] == ["tests/fixtures/ruletest/error.yaml E",
                         "tests/fixtures/ruletest/passing.yaml ."]
    assert ('  error: HELP-1 is in "Pending"; no transition leads to "Done". Available: '
            '"Start review" -> Reviewing') in lines
    assert _timeless(lines[-1]) == "1 error, 1 passed in {seconds} s"


def test_every_kind_of_mistake_has_a_fixture() -> None:
    """The mistakes an admin makes in a test file each keep a fixture and its message."""
    assert {"yaml_syntax", "empty_file", "unknown_step", "unknown_key", "several_steps",
            "wrong_type", "bad_duration", "bad_time", "missing_start", "unknown_names",
            "unknown_ticket", "count_under_expect_not", "mail_outcome_off_mail_step",
            "bounce_without_reply", "duplicate_case_name", "control_character",
            "run_with_arguments"} <= set(INVALID)


@pytest.mark.parametrize("case", INVALID)
def test_an_invalid_test_file_is_reported_located_and_nothing_runs(
        case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2, exactly the fixture's expected lines (FILE:LINE:COL: key.path: what; expected,
    with "did you mean"), no traceback, and no case run (not even the valid file's)."""
    test_file = FIXTURES / "invalid" / case / "test.yaml"
    expected = (FIXTURES / "invalid" / case / "expected.txt").read_text()
    code, out, err = _run(capsys, _fixture("passing.yaml"), str(test_file))
    assert code == 2
    assert err == expected.replace("{file}", str(test_file.relative_to(ROOT)))
    assert out == ""
    assert "Traceback" not in err


def test_junit_xml_has_a_testcase_per_case_with_its_file_line_and_failure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One suite per file with its counts; each case with its file and line; a failure
    carries the first miss in its message and the whole explanation in its text."""
    target = tmp_path / "reports" / "rules.xml"
    code, _, _ = _run(capsys, _fixture("failing.yaml"), _fixture("error.yaml"),
                      "--junit-xml", str(target))
    assert code == 1
    root = ET.parse(target).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    failing = suites["tests/fixtures/ruletest/failing.yaml"]
    assert (failing.get("tests"), failing.get("failures"), failing.get("errors")) == (
        "3", "2", "0")
    cases = {c.get("name"): c for c in failing.iter("testcase")}
    first = cases["an admin who thinks tier 1 waits 2 hours for every category"]
    assert (first.get("file"), first.get("line")) == ("tests/fixtures/ruletest/failing.yaml",
                                                      "4")
    failure = first.find("failure")
    assert failure is not None
    assert failure.get("message") == ('tests/fixtures/ruletest/failing.yaml:12:21: expected '
                                      'escalate by rule "escalate stale tier 1"; actual no '
                                      'action in this step')
    assert "next due: Mon 30 Nov 13:00 CST" in (failure.text or "")
    assert cases["this one holds"].find("failure") is None
    erred = next(suites["tests/fixtures/ruletest/error.yaml"].iter("testcase"))
    assert erred.find("error") is not None


def test_k_runs_only_the_cases_whose_name_contains_the_word(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`-k holds` (any case) runs the one passing case of the failing file: exit 0."""
    code, out, _ = _run(capsys, _fixture("failing.yaml"), "-k", "HOLDS")
    assert code == 0
    assert _timeless(out) == ("tests/fixtures/ruletest/failing.yaml .\n"
                              "1 passed, 2 deselected in {seconds} s\n")


def test_k_that_selects_nothing_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A -k that matches no case is a typo to fix, not a green run."""
    code, out, err = _run(capsys, _fixture("failing.yaml"), "-k", "escalashun")
    assert code == 2
    assert out == ""
    assert err == "ticketflow: -k 'escalashun' selects none of the 3 cases\n"


def test_without_paths_the_config_folders_rules_tests_run(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ticketflow test` reads CONFIG_DIR/rules/tests/*.yaml, named relative to the folder."""
    for extra in (shipped_config / "rules" / "tests").iterdir():
        if extra.name != "escalation.yaml":
            extra.unlink()
    code = main(["test", "--config-dir", str(shipped_config), "-k", "weekend"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("rules/tests/escalation.yaml .\n")


def test_a_folder_without_tests_is_a_usage_error(
        shipped_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No test files where they were looked for: exit 2, saying where."""
    shutil.rmtree(shipped_config / "rules" / "tests")
    (shipped_config / "rules" / "tests").mkdir()
    code = main(["test", "--config-dir", str(shipped_config)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"ticketflow: no rule tests in {shipped_config / 'rules' / 'tests'}")
