"""Steady state with thousands of open tickets: requests per idle cycle (goal: 1 in total,
however many projects), also while the changed tickets are still inside the feed's overlap
window, cycle time, and the cost per changed ticket, beside a naive poller.

Run:  .venv/bin/python bench/steady_state.py [--quick] [--issues N] [--changed K]
      [--projects P] [--tracker zendesk]   (Zendesk: see bench/zendesk_steady.py)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SandboxProcess, project_keys, settings_for, shipped_config, table, write

from connector.app import build, installer
from connector.clock import SettableClock
from connector.sandbox import API_TOKEN

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def _move(url: str, keys: list[str], status: str) -> None:
    """An engineer (alice, with her own login) moves tickets in Jira."""
    session = requests.Session()
    session.auth = ("alice@example.edu", API_TOKEN)
    for key in keys:
        options = session.get(f"{url}/rest/api/3/issue/{key}/transitions", timeout=30).json()
        target = next(t["id"] for t in options["transitions"] if t["to"]["name"] == status)
        session.post(f"{url}/rest/api/3/issue/{key}/transitions",
                     json={"transition": {"id": target}}, timeout=30).raise_for_status()


def _feed_and_claim(counts: dict[str, Any]) -> tuple[int, int]:
    """A cycle's requests: those of polling and acting, and those of the owner claim's
    heartbeat (a read and a write of a project property every 15 minutes), told apart."""
    claim = sum(int(n) for name, n in counts["by_endpoint"].items() if "/properties/" in name)
    return int(counts["total"]) - claim, claim


def _cycles(service: Any, sandbox: SandboxProcess, clock: SettableClock, minutes: Iterable[int],
            *, set_jira_clock: bool = True,
            ) -> tuple[list[int], list[float], int, dict[str, Any]]:
    """A cycle at each of these minutes after NOW: the requests of each (without the claim's),
    their seconds, the claim's requests in all, and the last cycle's counts."""
    requests_made, seconds, heartbeats, counts = [], [], 0, {}
    for minute in minutes:
        clock.set(NOW + timedelta(minutes=minute))
        if set_jira_clock:
            sandbox.set_clock(clock.now())
        sandbox.reset_counts()
        started = time.perf_counter()
        service.cycle.run()
        seconds.append(time.perf_counter() - started)
        counts = sandbox.counts()
        feed, claim = _feed_and_claim(counts)
        requests_made.append(feed)
        heartbeats += claim
    return requests_made, seconds, heartbeats, counts


def _seed(sandbox: SandboxProcess, issues: int, keys: list[str]) -> None:
    """The open tickets, shared evenly among the projects, two hours old."""
    for index, key in enumerate(keys):
        share = issues // len(keys) + (1 if index < issues % len(keys) else 0)
        sandbox.seed(share, status="Pending", start=NOW - timedelta(hours=2),
                     step_seconds=0.5, project=key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 tickets instead of 5,000")
    parser.add_argument("--issues", type=int)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--tracker", choices=("jira", "zendesk"), default="jira")
    parser.add_argument("--projects", type=int, default=1,
                        help="Jira projects in mappings.yaml, the tickets shared among them")
    args = parser.parse_args(argv)
    keys = project_keys(args.projects)
    issues = args.issues or (1_000 if args.quick else 5_000)
    if args.tracker == "zendesk":
        import zendesk_steady  # only for this tracker

        zendesk_steady.report(zendesk_steady.run(issues, args.changed, NOW), args.quick)
        return 0
    sandbox = SandboxProcess()
    clock = SettableClock(NOW)
    try:
        sandbox.set_clock(NOW - timedelta(hours=2))
        with tempfile.TemporaryDirectory() as folder:
            settings = settings_for(sandbox, Path(folder))
            for key in keys[1:]:
                sandbox.add_project(key)
            config = shipped_config(args.projects, Path(folder))
            installer(config, settings).install_scheme(config, dry_run=False,
                                                       echo=lambda _: None)
            _seed(sandbox, issues, keys)
            sandbox.set_clock(NOW)
            service = build(config, settings, clock=clock)
            service.cycle.run()                          # first run: backfill
            idle = _cycles(service, sandbox, clock, range(10, 15))  # past the window: idle
            moved = [f"HELP-{n}" for n in range(1, args.changed + 1)]
            _move(sandbox.url, moved, "Reviewing")
            (busy_requests,), (busy_seconds,), busy_beats, busy = _cycles(
                service, sandbox, clock, [16], set_jira_clock=False)
            # The changed tickets stay inside the 5-minute overlap window: idle all the same.
            window = _cycles(service, sandbox, clock, range(17, 20))
            service.close()
    finally:
        sandbox.stop()
    idle_requests, idle_seconds, idle_beats, _ = idle
    window_requests, _, window_beats, _ = window
    heartbeats = idle_beats + busy_beats + window_beats
    per_change = busy_requests / args.changed
    naive_busy = args.projects + args.changed  # one search per project + one per issue
    naive_per_change = naive_busy / args.changed
    shown = f"{issues:,} open tickets" + (f", {args.projects} projects" if args.projects > 1
                                          else "")
    rows = [["measure", f"ticketflow ({shown})", "naive poller"],
            ["requests per idle cycle", f"{max(idle_requests)} (goal 1 in total)",
             str(args.projects)],
            [f"requests per idle cycle, {args.changed} changed tickets inside the overlap "
             "window", f"{max(window_requests)} (goal 1)", str(naive_busy)],
            ["idle cycle time", f"{statistics.median(idle_seconds) * 1000:.0f} ms (median of "
             f"{len(idle_seconds)})", "-"],
            [f"requests for {args.changed} changed tickets", str(busy_requests),
             str(naive_busy)],
            ["requests per changed ticket", f"{per_change:.2f}", f"{naive_per_change:.2f}"],
            ["busy cycle time", f"{busy_seconds * 1000:.0f} ms", "-"],
            ["owner claim heartbeats (not counted above)",
             f"{heartbeats} requests in the 9 cycles over 19 minutes (a read and a write "
             "every 15 minutes)",
             "-"]]
    print(table(rows))
    path = write("steady_state" + ("_quick" if args.quick else "")
                 + (f"_{args.projects}_projects" if args.projects > 1 else ""), {
        "issues": issues, "projects": args.projects, "idle_requests": idle_requests,
        "idle_seconds": idle_seconds,
        "idle_requests_changes_in_window": window_requests,
        "changed": args.changed, "busy_requests": busy_requests,
        "claim_heartbeat_requests": heartbeats,
        "busy_by_endpoint": busy["by_endpoint"], "busy_seconds": busy_seconds,
        "requests_per_changed_ticket": per_change})
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
