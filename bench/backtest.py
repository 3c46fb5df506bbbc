"""What `ticketflow backtest --since 30d` costs on a month of sandbox history: tracker requests
(against the floor: one search and one bulk changelog fetch per page of 100) and seconds.

Run: .venv/bin/python bench/backtest.py [--tickets 600] [--moved 200]
Seeds the Jira sandbox with TICKETS requests spread over 30 days, moves MOVED of them to
Reviewing and on to In Progress (each move a changelog entry, made over HTTP as a person),
then runs the backtest (current rules against a candidate with tier 1's limit halved) and
prints its cost; the sandbox's write counter must stay 0. Writes bench/results/backtest.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jira import JIRA  # noqa: E402

from connector.cli import main  # noqa: E402
from connector.sandbox import API_TOKEN, API_USER, Sandbox  # noqa: E402

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("America/Chicago"))


def _seed(sandbox: Sandbox, tickets: int, moved: int) -> None:
    start = NOW - timedelta(days=29)
    step = (NOW - timedelta(days=1) - start) / tickets
    keys = sandbox.seed_issues(tickets, start=start, step=step)
    alice = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                 max_retries=0, options={"rest_api_version": "2"})
    try:
        for index, key in enumerate(keys[:: max(1, tickets // moved)][:moved]):
            created = start + step * (index * max(1, tickets // moved))
            for hours, status in ((1, "Reviewing"), (5, "In Progress")):
                sandbox.set_clock(created + timedelta(hours=hours))
                ids = {t["to"]["name"]: t["id"] for t in alice.transitions(key)}
                alice.transition_issue(key, ids[status])
    finally:
        alice.close()
    sandbox.set_clock(NOW)


def _candidate(folder: Path) -> Path:
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, folder / name)
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text().replace("escalate_after: 4 business hours",
                                               "escalate_after: 2 business hours"))
    return folder


def run(tickets: int, moved: int) -> dict[str, object]:
    with Sandbox("cloud", now=NOW - timedelta(days=30), time_zone="America/Chicago") as box, \
            tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"TICKETFLOW_JIRA_URL": box.url, "TICKETFLOW_JIRA_EMAIL": API_USER,
                           "TICKETFLOW_JIRA_TOKEN": API_TOKEN})
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["install-scheme", "--config-dir", str(ROOT)]) == 0
        _seed(box, tickets, moved)
        candidate = _candidate(Path(tmp))
        box.reset_request_counts()
        started = time.perf_counter()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["backtest", "--since", "30d", "--candidate", str(candidate),
                         "--format", "json", "--now", NOW.isoformat(),
                         "--config-dir", str(ROOT)])
        seconds = time.perf_counter() - started
        counts = box.request_counts()
    assert code == 0, code
    report = json.loads(out.getvalue())
    return {"tickets": report["cost"]["tickets"], "moved": moved,
            "tracker_requests": counts["total"], "reads_for_the_window":
            report["cost"]["tracker_requests"], "feed_pages": report["cost"]["feed_pages"],
            # Cloud: a search page of 100, a bulk changelog fetch of up to 1,000 issues.
            "floor": math.ceil(tickets / 100) + math.ceil(tickets / 1000),
            "by_endpoint": counts["by_endpoint"],
            "writes": counts["writes"], "backtest_seconds": report["cost"]["seconds"],
            "command_seconds": round(seconds, 2),
            "differences": len(report["differences"]),
            "escalations": report["actions_by_rule"]["escalate stale tier 1"]}


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=600)
    parser.add_argument("--moved", type=int, default=200)
    args = parser.parse_args()
    figures = run(args.tickets, args.moved)
    for name, value in figures.items():
        print(f"{name}: {value}")
    out = ROOT / "bench" / "results" / "backtest.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main_bench())
