"""`ticketflow test [PATH...]`: run the admin's rule tests (rules/tests/*.yaml)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.base import add_command

if TYPE_CHECKING:
    from connector.settings import Settings


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "test", handler=run_tests, summary="run the rule tests",
        description="Run the rule tests of rules/tests/*.yaml (or the files and folders "
        "given): each case's tickets and timeline through the real rules, actions and "
        "templates against an in-memory tracker, its expectations checked. Exit 0 when all "
        "pass, 1 when a case failed, 2 when a test file is invalid.", settings=("config_dir",))
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="test files or folders (default: CONFIG_DIR/rules/tests)")
    parser.add_argument("-k", dest="keyword", metavar="WORD",
                        help="only the cases whose file or name contains WORD (any case)")
    parser.add_argument("--junit-xml", type=Path, metavar="FILE",
                        help="also write the results as JUnit XML, for CI systems")


def run_tests(args: argparse.Namespace, settings: Settings) -> int:
    """Check every test file (a bad one: exit 2, nothing run), run the selected cases, print
    a dot per case, then each failure; exit 1 if any failed."""
    del settings
    import logging
    import time

    from connector.config.loader import load_config
    from connector.errors import UsageError
    from connector.ruletest.load import load_tests, test_files
    from connector.ruletest.report import details, junit_xml, progress_line, summary
    from connector.ruletest.runner import CaseResult, run_case

    began = time.perf_counter()
    if not args.verbose:
        # What the service logs about a case's own tickets and mail (a stranger's mail
        # quarantined on purpose) is the case's business; the report says what matters.
        logging.getLogger().setLevel(logging.ERROR)
    config = load_config(args.config_dir)
    sources = load_tests(test_files(args.paths, args.config_dir), config)
    word = (args.keyword or "").lower()
    chosen = [(s, i) for s in sources for i, case in enumerate(s.tests.cases)
              if word in f"{s.name}::{case.name}".lower()]
    total = sum(len(s.tests.cases) for s in sources)
    if not chosen:
        raise UsageError(f"-k {args.keyword!r} selects none of the {total} cases")
    results: list[CaseResult] = []
    for source in sources:
        mine = [run_case(source, i, config) for s, i in chosen if s is source]
        if mine:
            print(progress_line(source.name, mine), flush=True)
        results += mine
    for line in details(results):
        print(line)
    print(("\n" if len(results) > sum(r.outcome == "passed" for r in results) else "")
          + summary(results, deselected=total - len(chosen),
                  seconds=time.perf_counter() - began))
    if args.junit_xml is not None:
        junit_xml(results, args.junit_xml)
    return 0 if all(r.outcome == "passed" for r in results) else 1
