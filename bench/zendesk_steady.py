"""Steady state on Zendesk: requests per idle cycle (goal: 1, the cursor export), and the feed's
requests per changed ticket with history from the ticket events export against per-ticket
audits, read from the same bookmark over the same changes.

Run:  .venv/bin/python bench/steady_state.py --tracker zendesk [--quick] [--issues N]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from common import SandboxProcess, table, write
from pydantic import SecretStr

from connector.app import build, installer
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER
from connector.settings import Settings
from connector.tracker.zendesk.tracker import ZendeskTracker, open_tracker


def _settings(sandbox: SandboxProcess, folder: Path, user: str = API_USER) -> Settings:
    return Settings(zendesk_url=sandbox.url, zendesk_email=user,  # type: ignore[call-arg]
                    zendesk_token=SecretStr(API_TOKEN), state_db=folder / "state.db",
                    outbox_dir=folder / "outbox", _env_file=None)


def _move(sandbox: SandboxProcess, tracker: ZendeskTracker, keys: list[str],
          status: str) -> None:
    """An engineer (alice, with her own token) sets the tickets' custom status."""
    status_id = tracker.words.status_id(status)
    session = requests.Session()
    session.auth = ("alice@example.edu/token", API_TOKEN)
    for key in keys:
        session.put(f"{sandbox.url}/api/v2/tickets/{key}.json", timeout=30,
                    json={"ticket": {"custom_status_id": int(status_id)}}).raise_for_status()


def _feed_requests(sandbox: SandboxProcess, tracker: ZendeskTracker, bookmark: str,
                   history: str) -> tuple[int, int, dict[str, Any]]:
    """(requests, tickets) of reading the feed from `bookmark` with that history source."""
    tracker.feed.history_source = history  # type: ignore[assignment]
    sandbox.reset_counts()
    pages = list(tracker.changes(bookmark, now=datetime.now().astimezone()))
    counts = sandbox.counts()
    return int(counts["total"]), sum(len(p.tickets) for p in pages), counts["by_endpoint"]


def run(issues: int, changed: int, now: datetime) -> dict[str, Any]:
    sandbox = SandboxProcess(tracker="zendesk")
    clock = SettableClock(now)
    sandbox.control("limits", {"incremental_per_minute": None})  # counted below instead
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = load_config(config_dir_for("zendesk", Path(folder)))
            settings = _settings(sandbox, Path(folder))
            sandbox.set_clock(now - timedelta(hours=2))
            installer(config, settings).install_scheme(config, dry_run=False,
                                                       echo=lambda _: None)
            sandbox.control("seed", {"count": issues})
            sandbox.set_clock(now)
            service = build(config, settings, clock=clock)
            sandbox.reset_counts()
            service.cycle.run()                          # first run: backfill
            backfill = sandbox.counts()
            idle_requests, idle_seconds = [], []
            for minute in range(10, 15):
                clock.set(now + timedelta(minutes=minute))
                sandbox.set_clock(clock.now())
                sandbox.reset_counts()
                started = time.perf_counter()
                service.cycle.run()
                idle_seconds.append(time.perf_counter() - started)
                idle_requests.append(int(sandbox.counts()["total"]))
            bookmark = service.store.bookmark(config.mappings.project)
            assert bookmark is not None
            reader = open_tracker(config, settings)
            _move(sandbox, reader, [str(n) for n in range(1, changed + 1)], "Reviewing")
            clock.set(now + timedelta(minutes=17))        # past the minute Zendesk leaves out
            sandbox.set_clock(clock.now())
            events = _feed_requests(sandbox, reader, bookmark.position, "events")
            audits = _feed_requests(sandbox, reader, bookmark.position, "audits")
            sandbox.reset_counts()
            started = time.perf_counter()
            service.cycle.run()
            busy_seconds = time.perf_counter() - started
            busy = sandbox.counts()
            service.close()
    finally:
        sandbox.stop()
    return {"issues": issues, "changed": changed, "backfill_requests": backfill["total"],
            "backfill_by_endpoint": backfill["by_endpoint"], "idle_requests": idle_requests,
            "idle_seconds": idle_seconds, "events_feed": events[:2],
            "events_by_endpoint": events[2], "audits_feed": audits[:2],
            "audits_by_endpoint": audits[2], "busy_requests": busy["total"],
            "busy_by_endpoint": busy["by_endpoint"], "busy_seconds": busy_seconds}


def report(result: dict[str, Any], quick: bool) -> None:
    changed = result["changed"]
    (events, seen_e), (audits, seen_a) = result["events_feed"], result["audits_feed"]
    assert seen_e == seen_a == changed, (seen_e, seen_a)
    rows = [["measure", f"ticketflow on Zendesk ({result['issues']:,} open tickets)"],
            ["requests per idle cycle", f"{max(result['idle_requests'])} (goal 1: the export)"],
            ["idle cycle time", f"{statistics.median(result['idle_seconds']) * 1000:.0f} ms"],
            ["backfill requests", f"{result['backfill_requests']} (export pages + one audits "
                                  "request per open ticket)"],
            [f"feed requests for {changed} changed tickets, events",
             f"{events} ({events / changed:.3f} per changed ticket)"],
            [f"feed requests for {changed} changed tickets, audits",
             f"{audits} ({audits / changed:.3f} per changed ticket)"],
            ["busy cycle requests (feed + actions)", str(result["busy_requests"])],
            ["busy cycle time", f"{result['busy_seconds'] * 1000:.0f} ms"]]
    print(table(rows))
    path = write("steady_state_zendesk" + ("_quick" if quick else ""), result)
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
