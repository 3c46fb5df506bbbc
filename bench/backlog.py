"""First sync of a big backlog: tracker requests against the floor, wall time, peak memory,
and a naive poller (search, then one changelog request per issue) in the same run.

Run:  .venv/bin/python bench/backlog.py [--quick] [--issues N]
          [--tracker zendesk]   (Zendesk: see bench/zendesk_backlog.py)
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    SandboxProcess,
    by_endpoint,
    floor_requests,
    settings_for,
    shipped_config,
    table,
    write,
)

from connector.app import build, installer
from connector.clock import SettableClock
from connector.sandbox import API_TOKEN, API_USER

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
PAGE = 100


def _first_sync(url: str, folder: str, results: Any) -> None:
    """In a child process, so its peak memory is the service's alone."""
    sandbox = type("Remote", (), {"url": url})()
    settings = settings_for(sandbox, Path(folder))  # type: ignore[arg-type]
    config = shipped_config()
    started = time.perf_counter()
    service = build(config, settings, clock=SettableClock(NOW))
    service.cycle.run()
    mirrored = service.store.count_open(config.mappings.project)
    service.close()
    results.put({"seconds": time.perf_counter() - started, "mirrored": mirrored,
                 "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def naive(url: str) -> tuple[int, float]:
    """Search page by page, then ask for each issue's changelog on its own."""
    session = requests.Session()
    session.auth = (API_USER, API_TOKEN)
    started, made, token = time.perf_counter(), 0, None
    while True:
        body: dict[str, Any] = {"jql": "project = HELP AND status != Done ORDER BY key ASC",
                                "maxResults": PAGE, "fields": ["summary", "status", "updated"]}
        if token:
            body["nextPageToken"] = token
        page = session.post(f"{url}/rest/api/3/search/jql", json=body, timeout=60).json()
        made += 1
        for issue in page["issues"]:
            session.get(f"{url}/rest/api/3/issue/{issue['key']}/changelog", timeout=60)
            made += 1
        token = page.get("nextPageToken")
        if not token:
            return made, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 issues instead of 20,000")
    parser.add_argument("--issues", type=int)
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="added to every Jira answer, as a real network would (e.g. 30)")
    parser.add_argument("--tracker", choices=("jira", "zendesk"), default="jira")
    args = parser.parse_args(argv)
    issues = args.issues or (2_000 if args.quick else 20_000)
    if args.tracker == "zendesk":
        import zendesk_backlog  # only for this tracker

        zendesk_backlog.report(zendesk_backlog.run(issues, NOW), args.quick)
        return 0
    sandbox = SandboxProcess()
    try:
        sandbox.set_clock(NOW - timedelta(days=1))
        with tempfile.TemporaryDirectory() as folder:
            config = shipped_config()
            installer(config, settings_for(sandbox, Path(folder))).install_scheme(
                config, dry_run=False, echo=lambda _: None)
            # Pending: no time rule applies, so this measures the sync alone, not rule actions.
            sandbox.seed(issues, status="Pending", start=NOW - timedelta(days=1),
                         step_seconds=1)
            sandbox.set_clock(NOW)
            if args.latency_ms:
                sandbox.faults(latency_ms=args.latency_ms)
            sandbox.reset_counts()
            results: Any = multiprocessing.get_context("spawn").Queue()
            child = multiprocessing.get_context("spawn").Process(
                target=_first_sync, args=(sandbox.url, folder, results))
            child.start()
            ours = results.get(timeout=3600)
            child.join()
            counts = sandbox.counts()
        sandbox.reset_counts()
        naive_requests, naive_seconds = naive(sandbox.url)
    finally:
        sandbox.stop()
    searches = by_endpoint(counts, "POST /rest/api/3/search/jql")
    changelogs = by_endpoint(counts, "POST /rest/api/3/changelog/bulkfetch")
    floor = floor_requests(issues, PAGE)
    total = int(counts["total"])
    latency = f", {args.latency_ms} ms latency" if args.latency_ms else ""
    rows = [["first sync of", f"{issues:,} open tickets{latency}", "naive poller", "ratio"],
            ["tracker requests", f"{total} (floor {floor}: {searches} searches + "
             f"{changelogs} changelog fetches)", str(naive_requests),
             f"naive makes {naive_requests / total:.0f}x more"],
            ["wall time", f"{ours['seconds']:.1f} s", f"{naive_seconds:.1f} s",
             f"naive takes {naive_seconds / ours['seconds']:.1f}x longer"],
            ["tickets mirrored", str(ours["mirrored"]), "-", ""],
            ["peak memory", f"{ours['peak_rss_mb']:.0f} MB (whole process)", "-", ""]]
    print(table(rows))
    extra = dict(counts["by_endpoint"])
    name = "backlog" + ("_quick" if args.quick else "") + (
        f"_latency{args.latency_ms}ms" if args.latency_ms else "")
    path = write(name, {
        "issues": issues, "latency_ms": args.latency_ms, "page_size": PAGE,
        "requests": total, "floor": floor,
        "searches": searches, "changelog_fetches": changelogs, "by_endpoint": extra,
        "seconds": ours["seconds"], "peak_rss_mb": ours["peak_rss_mb"],
        "mirrored": ours["mirrored"], "naive_requests": naive_requests,
        "naive_seconds": naive_seconds})
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
