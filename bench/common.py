"""Shared plumbing for the benchmarks: a sandbox in its own process, settings, results."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from connector.config.loader import Config, load_config  # noqa: E402
from connector.sandbox import API_TOKEN, API_USER  # noqa: E402
from connector.settings import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SandboxProcess:
    """The Jira sandbox in a separate process, so it never shares the measured process's
    interpreter lock; driven through its control endpoints."""

    def __init__(self, flavor: str = "cloud", *, tracker: str = "jira") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        which = ["--tracker", "zendesk"] if tracker == "zendesk" else ["--flavor", flavor]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connector.sandbox", *which, "--port",
             str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/_sandbox/requests", timeout=1)
            except requests.ConnectionError:
                time.sleep(0.05)
            else:
                return
        raise RuntimeError("the sandbox did not start")

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            return requests.get(f"{self.url}/_sandbox/{path}", timeout=600).json()
        answer = requests.post(f"{self.url}/_sandbox/{path}", json=body, timeout=600)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def set_clock(self, when: datetime) -> None:
        self.control("clock", {"now": when.isoformat()})

    def seed(self, count: int, *, status: str, start: datetime, step_seconds: float,
             project: str = "HELP") -> None:
        self.control("seed", {"count": count, "status": status, "start": start.isoformat(),
                              "step_seconds": step_seconds, "project": project})

    def add_project(self, key: str) -> None:
        self.control("projects", {"key": key, "name": key})

    def counts(self) -> dict[str, Any]:
        return dict(self.control("requests"))

    def reset_counts(self) -> None:
        self.control("requests/reset", {})

    def faults(self, **settings: Any) -> None:
        self.control("faults", settings)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def settings_for(sandbox: SandboxProcess, folder: Path) -> Settings:
    return Settings(jira_url=sandbox.url, jira_email=API_USER,  # type: ignore[call-arg]
                    jira_token=API_TOKEN, jira_flavor="cloud", state_db=folder / "state.db",
                    outbox_dir=folder / "outbox", _env_file=None)


def shipped_config(projects: int = 1, folder: Path | None = None) -> Config:
    """The shipped configuration; with `projects` > 1, its Jira project and more like it
    (OPS, OPS3, ...: the keys `project_keys` names) listed in a copy in `folder`."""
    if projects == 1:
        return load_config(ROOT)
    if folder is None:
        raise ValueError("several projects need a folder for the edited copy")
    for name in ("rules.yaml", "rules"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile
        copy(ROOT / name, folder / name)
    data = yaml.safe_load((ROOT / "mappings.yaml").read_text())
    data["jira"] = [{**data["jira"], "project": key} for key in project_keys(projects)]
    (folder / "mappings.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(folder)


def project_keys(projects: int) -> list[str]:
    """HELP (the sandbox's own), then OPS, OPS3, OPS4, ..."""
    return ["HELP", "OPS", *(f"OPS{n}" for n in range(3, projects + 1))][:projects]


def floor_requests(issues: int, page: int) -> int:
    """The least a poller can do: one search per page, one changelog fetch per 1,000."""
    return math.ceil(issues / page) + math.ceil(issues / 1000)


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "system": platform.platform(terse=True),
            "when": datetime.now(UTC).isoformat(timespec="seconds")}


def table(rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"{name}.json"
    target.write_text(json.dumps({"machine": machine(), **data}, indent=2) + "\n")
    return target


def by_endpoint(counts: dict[str, Any], prefix: str) -> int:
    return sum(int(n) for route, n in counts.get("by_endpoint", {}).items()
               if route.startswith(prefix))


# The PostgreSQL the state benchmarks also run on: --postgres URL, else the tests' server.
POSTGRES_VARIABLE = "TICKETFLOW_TEST_POSTGRES"


def postgres_schema(base: str) -> AbstractContextManager[str]:
    """A fresh schema of the database at `base`, as a URL whose search_path is that schema;
    dropped afterwards."""
    from connector.state.location import scratch_schema

    return scratch_schema(base, prefix="bench")


def postgres_url(given: str | None) -> str | None:
    """The PostgreSQL to measure on, or None (then only SQLite is measured, and it says so)."""
    url = given or os.environ.get(POSTGRES_VARIABLE)
    if not url:
        print(f"no PostgreSQL: pass --postgres URL or set {POSTGRES_VARIABLE}; SQLite only",
              file=sys.stderr)
    return url
