"""What `ticketflow test` prints, and the JUnit XML it writes for CI systems.

A dot per case, then each failure explained, then the counts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from connector.ruletest.runner import CaseResult

_MARKS = {"passed": ".", "failed": "F", "error": "E"}


def progress_line(file: str, results: Sequence[CaseResult]) -> str:
    """`rules/tests/seed.yaml ..F.`"""
    return f"{file} {''.join(_MARKS[r.outcome] for r in results)}"


def details(results: Sequence[CaseResult]) -> list[str]:
    """Every failed or erred case: where, at which step, and why."""
    lines: list[str] = []
    for result in results:
        if result.outcome == "passed":
            continue
        word = "FAILED" if result.outcome == "failed" else "ERROR"
        lines += ["", f'{word} {result.location}: "{result.case.name}"', f"  {result.step}"]
        if result.error:
            lines.append(f"  error: {result.error}")
        for failure in result.failures:
            lines.append(f"  {failure.location}: {failure.what}")
            lines.append(f"    expected: {failure.expected}")
            first, *rest = failure.actual or ("-",)
            lines.append(f"    actual:   {first}")
            lines += [f"              {more}" for more in rest]
            if failure.why:
                lines.append("    why:")
                lines += [f"      {line}" for line in failure.why]
    return lines


def summary(results: Sequence[CaseResult], *, deselected: int, seconds: float) -> str:
    """`1 failed, 12 passed, 3 deselected in 2.1 s`"""
    counts = {word: sum(1 for r in results if r.outcome == word)
              for word in ("failed", "error", "passed")}
    parts = [f"{counts['failed']} failed"] if counts["failed"] else []
    if counts["error"]:
        parts.append(f"{counts['error']} error{'s' if counts['error'] > 1 else ''}")
    parts.append(f"{counts['passed']} passed")
    if deselected:
        parts.append(f"{deselected} deselected")
    return f"{', '.join(parts)} in {seconds:.1f} s"


def junit_xml(results: Sequence[CaseResult], target: Path) -> None:
    """One <testsuite> per file, one <testcase> per case with its file and line; a failure
    or an error carries the same text the terminal shows."""
    root = ET.Element("testsuites", name="ticketflow test")
    by_file: dict[str, list[CaseResult]] = {}
    for result in results:
        by_file.setdefault(result.source.name, []).append(result)
    for file, cases in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file, tests=str(len(cases)),
                              failures=str(sum(r.outcome == "failed" for r in cases)),
                              errors=str(sum(r.outcome == "error" for r in cases)),
                              skipped="0", time=f"{sum(r.seconds for r in cases):.3f}")
        for result in cases:
            dotted = file.rsplit(".", 1)[0].strip("/").replace("/", ".")
            case = ET.SubElement(suite, "testcase", name=result.case.name, classname=dotted,
                                 file=file, line=str(result.location.line),
                                 time=f"{result.seconds:.3f}")
            if result.outcome != "passed":
                text = "\n".join(details([result])).strip("\n")
                tag = "failure" if result.outcome == "failed" else "error"
                first = result.failures[0] if result.failures else None
                message = (f"{first.location}: expected {first.expected}; actual "
                           f"{'; '.join(first.actual)}" if first else result.error)
                ET.SubElement(case, tag, message=message, type=tag).text = text
    ET.indent(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
