"""First sync of a big backlog on Zendesk: requests against Zendesk's floor (the export's
pages), with the open tickets' history from the ticket events export (now) and from one
audits request per ticket (before), over the same seeded account.

Run:  .venv/bin/python bench/backlog.py --tracker zendesk [--quick] [--issues N]
"""

from __future__ import annotations

import math
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import SandboxProcess, by_endpoint, table, write
from pydantic import SecretStr

from connector.app import build, installer
from connector.clock import SettableClock
from connector.config.loader import load_config
from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER
from connector.settings import Settings
from connector.tracker.zendesk.tracker import ZendeskTracker

EXPORT_PAGE = 1000  # tickets (and events) an incremental export page holds
PER_MINUTE = 10  # incremental export requests Zendesk allows a minute


def _first_sync(issues: int, now: datetime, history: str) -> dict[str, Any]:
    """Seed `issues` open tickets, then one first cycle with `history`; what it asked."""
    sandbox = SandboxProcess(tracker="zendesk")
    # The sandbox clock stands still during the sync, so its limit would never clear; the
    # incremental requests are counted and turned into minutes below instead.
    sandbox.control("limits", {"incremental_per_minute": None})
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = load_config(config_dir_for("zendesk", Path(folder)))
            settings = Settings(zendesk_url=sandbox.url, zendesk_email=API_USER,
                                zendesk_token=SecretStr(API_TOKEN),
                                state_db=Path(folder) / "state.db",
                                outbox_dir=Path(folder) / "outbox",
                                _env_file=None)  # type: ignore[call-arg]
            sandbox.set_clock(now - timedelta(hours=2))
            installer(config, settings).install_scheme(config, dry_run=False,
                                                       echo=lambda _: None)
            sandbox.control("seed", {"count": issues})
            sandbox.set_clock(now)
            service = build(config, settings, clock=SettableClock(now))
            assert isinstance(service.tracker, ZendeskTracker)
            service.tracker.feed.history_source = history  # type: ignore[assignment]
            sandbox.reset_counts()
            started = time.perf_counter()
            service.cycle.run()
            seconds = time.perf_counter() - started
            mirrored = service.store.count_open(config.mappings.project)
            service.close()
            counts = sandbox.counts()
    finally:
        sandbox.stop()
    return {"requests": int(counts["total"]), "by_endpoint": counts["by_endpoint"],
            "seconds": seconds, "mirrored": mirrored,
            "exports": by_endpoint(counts, "GET /api/v2/incremental/tickets"),
            "events": by_endpoint(counts, "GET /api/v2/incremental/ticket_events"),
            "audits": by_endpoint(counts, "GET /api/v2/tickets/{id}/audits")}


def run(issues: int, now: datetime) -> dict[str, Any]:
    return {"issues": issues, "floor": math.ceil(issues / EXPORT_PAGE),
            "events": _first_sync(issues, now, "events"),
            "audits": _first_sync(issues, now, "audits")}


def report(result: dict[str, Any], quick: bool) -> None:
    issues, floor = result["issues"], result["floor"]
    rows = [["first sync on Zendesk of", f"{issues:,} open tickets: history from events",
             "from audits (before)"]]
    for name, key in (("tracker requests", "requests"), ("export pages", "exports"),
                      ("events export pages", "events"), ("audits requests", "audits"),
                      ("tickets mirrored", "mirrored")):
        rows.append([name, str(result["events"][key]), str(result["audits"][key])])
    for run_ in (result["events"], result["audits"]):
        run_["incremental_minutes"] = math.ceil(
            (run_["exports"] + run_["events"]) / PER_MINUTE)
    rows += [["floor (export pages)", str(floor), str(floor)],
             ["minutes at 10 incremental requests a minute",
              str(result["events"]["incremental_minutes"]),
              str(result["audits"]["incremental_minutes"])],
             ["wall time", f"{result['events']['seconds']:.1f} s",
              f"{result['audits']['seconds']:.1f} s"]]
    print(table(rows))
    path = write("backlog_zendesk" + ("_quick" if quick else ""), result)
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
