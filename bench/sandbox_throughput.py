"""How fast the Jira sandbox answers simple reads with 100,000 issues loaded.

Run:  .venv/bin/python bench/sandbox_throughput.py [--quick]

The sandbox runs in this process; clients are separate processes (requests.Session with
keep-alive) so they do not share the server's interpreter lock. Each scenario runs with 1 and
2 client processes. Results are printed as a table and written to
bench/results/sandbox_throughput.json. On a small, shared machine the figures are noisy;
compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ISSUES = 100_000
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
POLL_JQL = 'project = HELP AND updated >= "2026/11/26 09:00" ORDER BY updated ASC'

SCENARIOS: dict[str, str] = {
    "get_issue": "GET /rest/api/3/issue/{key} (all fields)",
    "get_issue_fields": "GET /rest/api/3/issue/{key}?fields=summary,status,updated",
    "search_poll_page": "POST /rest/api/3/search/jql, poll query, 50 issues, 3 fields",
    "search_by_key": "GET /rest/api/3/search/jql?jql=key = HELP-n (new JQL each time)",
}


def _request(session: Any, url: str, scenario: str, rng: random.Random) -> Any:
    key = f"HELP-{rng.randint(1, ISSUES)}"
    if scenario == "get_issue":
        return session.get(f"{url}/rest/api/3/issue/{key}")
    if scenario == "get_issue_fields":
        return session.get(f"{url}/rest/api/3/issue/{key}",
                           params={"fields": "summary,status,updated"})
    if scenario == "search_poll_page":
        return session.post(f"{url}/rest/api/3/search/jql", json={
            "jql": POLL_JQL, "fields": ["summary", "status", "updated"], "maxResults": 50})
    return session.get(f"{url}/rest/api/3/search/jql",
                       params={"jql": f"key = {key}", "fields": "summary,status"})


def client(job: dict[str, Any], start: Any, results: Any) -> None:
    """One client process: warm up, wait for the others, then loop for `seconds`."""
    import requests

    url, scenario, seconds = job["url"], job["scenario"], job["seconds"]
    headers: dict[str, str] = job["headers"]
    rng = random.Random(job["seed"])
    latencies: list[float] = []
    with requests.Session() as session:
        session.headers.update(headers)
        for _ in range(20):
            _request(session, url, scenario, rng).raise_for_status()
        start.wait()
        end = time.perf_counter() + seconds
        while (began := time.perf_counter()) < end:
            response = _request(session, url, scenario, rng)
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"{scenario}: {response.status_code} {response.text[:200]}")
    results.put(latencies)


def measure(url: str, headers: dict[str, str], scenario: str, clients: int,
            seconds: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    jobs = [{"url": url, "headers": headers, "scenario": scenario, "seconds": seconds,
             "seed": n} for n in range(clients)]
    workers = [context.Process(target=client, args=(job, start, results)) for job in jobs]
    for worker in workers:
        worker.start()
    time.sleep(1.0 + 0.3 * clients)  # let every client import requests and warm up
    start.set()
    latencies = [value for _ in workers for value in results.get(timeout=seconds + 60)]
    for worker in workers:
        worker.join()
    ordered = sorted(latencies)
    return {"scenario": scenario, "clients": clients, "requests": len(ordered),
            "req_per_s": round(len(ordered) / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 2)}


def deep_paging(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Page through 20,000 results by nextPageToken; early and late pages should cost the same."""
    import requests

    jql = 'project = HELP AND updated >= "2026/11/01 00:00" ORDER BY updated DESC'
    times: list[float] = []
    count = 0
    token = None
    with requests.Session() as session:
        session.headers.update(headers)
        while True:
            body: dict[str, Any] = {"jql": jql, "fields": ["summary"], "maxResults": 100}
            if token:
                body["nextPageToken"] = token
            began = time.perf_counter()
            page = session.post(f"{url}/rest/api/3/search/jql", json=body).json()
            times.append(time.perf_counter() - began)
            count += len(page["issues"])
            token = page.get("nextPageToken")
            if not token or count >= 20_000:
                break
    return {"issues": count, "pages": len(times), "first_page_ms": round(times[0] * 1000, 1),
            "median_page_ms": round(statistics.median(times[1:]) * 1000, 2),
            "last_pages_median_ms": round(statistics.median(times[-20:]) * 1000, 2),
            "total_s": round(sum(times), 2)}


def main(argv: list[str] | None = None) -> int:
    from connector.sandbox import Sandbox

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per scenario instead of 6 s")
    parser.add_argument("--output", type=Path,
                        default=ROOT / "bench" / "results" / "sandbox_throughput.json")
    args = parser.parse_args(argv)
    seconds = 2.0 if args.quick else 6.0

    with Sandbox("cloud", now=NOW) as sandbox:
        began = time.perf_counter()
        # 100,000 issues, one a minute, the newest at NOW; the last hour is the poll window.
        sandbox.seed_issues(ISSUES, start=NOW - timedelta(minutes=ISSUES - 1))
        seed_s = time.perf_counter() - began
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        headers = sandbox.auth_headers()
        rows = [measure(sandbox.url, headers, scenario, clients, seconds)
                for scenario in SCENARIOS for clients in (1, 2)]
        paging = deep_paging(sandbox.url, headers)
        requests_seen = sandbox.request_counts()["total"]

    print(f"Jira sandbox, {ISSUES:,} issues seeded in {seed_s:.2f} s, peak RSS {rss_mb:.0f} MB, "
          f"{os.cpu_count()} CPUs, {seconds:.0f} s per scenario")
    print(f"{'scenario':<20} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for row in rows:
        print(f"{row['scenario']:<20} {row['clients']:>7} {row['req_per_s']:>8.1f} "
              f"{row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f}")
    print(f"deep paging: {paging['issues']:,} issues in {paging['pages']} pages of 100, "
          f"first page {paging['first_page_ms']} ms (evaluates the query), then median "
          f"{paging['median_page_ms']} ms, last 20 pages median "
          f"{paging['last_pages_median_ms']} ms")
    report = {
        "benchmark": "sandbox_throughput", "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "issues": ISSUES, "seed_seconds": round(seed_s, 2), "peak_rss_mb": round(rss_mb),
        "seconds_per_scenario": seconds, "scenarios": SCENARIOS, "results": rows,
        "deep_paging": paging, "requests_served": requests_seen,
        "note": "noisy shared 2-core machine; server and clients share the CPUs"}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
