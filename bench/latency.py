"""Latency: an engineer's status change in the tracker -> the customer's message in an SMTP
server.

The real service (`ticketflow run`, its default 60 s poll interval unless `--poll-interval`)
runs against the Jira sandbox, or with `--tracker zendesk` the Zendesk one (its own process),
and delivers to an aiosmtpd server in this process. A scripted engineer (alice) moves tickets
Reviewing -> In Progress at random moments (a Poisson stream, `--gap` seconds apart on
average); the shipped rule "work started" mails the customer. Each change's latency runs from
just before alice's request is sent to the moment the SMTP server has the message. Two phases
in one run, with the same stream of changes: polling only, then with the sandbox posting
signed webhooks to /hooks/jira or /hooks/zendesk (registered as install-scheme registers
them; see bench/zendesk_latency.py for Zendesk's). Prints p50 and p95 of each, with the
tracker requests the service made, and writes bench/results/latency[_zendesk].json.

Run:  .venv/bin/python bench/latency.py [--tracker jira|zendesk] [--quick] [--changes N]
          [--gap S] [--poll-interval S]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any, Protocol

import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SandboxProcess, free_port, table, write

from connector.sandbox import API_TOKEN, API_USER
from connector.sync.wakeup import EXPORT_FLOOR, FLOOR
from connector.web.registration import registration

ENGINEER = "alice@example.edu"
SECRET = "latency-bench-webhook-secret-0123456789"
SUBJECT = "Work has begun on your request"


class Sink:
    """aiosmtpd handler: the arrival time of each "work has begun" message, by ticket key."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802 - aiosmtpd names it
                          envelope: Envelope) -> str:
        at = time.perf_counter()
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        subject = str(message["Subject"] or "")
        if SUBJECT in subject:
            with self.changed:
                self.arrived.setdefault(subject.split("]", 1)[0].lstrip("["), at)
                self.changed.notify_all()
        return "250 OK"

    def wait_for(self, keys: list[str], seconds: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: all(k in self.arrived for k in keys), seconds)


class Service:
    """`python -m connector run` against the sandbox, delivering to the sink; `tracker` holds
    the tracker's settings (and the configuration folder)."""

    def __init__(self, tracker: dict[str, str], folder: Path, smtp_port: int,
                 poll_interval: int | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "run.log"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **tracker,
                    "TICKETFLOW_STATE_DB": str(folder / "state.db"),
                    "TICKETFLOW_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?starttls=false",
                    "TICKETFLOW_MAIL_FROM": "redcap_helpdesk@example.edu",
                    "TICKETFLOW_PUBLIC_URL": self.url, "TICKETFLOW_HTTP_PORT": str(self.port),
                    "TICKETFLOW_WEBHOOK_SECRET": SECRET}
        if poll_interval is not None:
            self.env["TICKETFLOW_POLL_INTERVAL"] = str(poll_interval)
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "connector", *args], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, cwd=ROOT)

    def start(self) -> None:
        with self.log.open("w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "connector", "run"],
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Desk(Protocol):
    """One tracker's part: its sandbox, the service's settings for it, its tickets and
    webhook, and alice's move."""

    name: str
    sandbox: SandboxProcess

    def settings(self, folder: Path) -> dict[str, str]:
        """The service's environment for this tracker (`folder`: scratch space)."""
        ...

    def prepare(self, service: Service, count: int) -> list[str]:
        """The workflow installed and `count` tickets in Reviewing, each with its own
        customer (the shipped rate limit allows 10 messages an hour to one address); the
        webhook secret in the service's environment."""
        ...

    def enable_webhooks(self, service: Service) -> None:
        """From now on the sandbox delivers signed webhooks to the service."""
        ...

    def mover(self, keys: list[str]) -> Callable[[str], None]:
        """Alice's move of one ticket to In Progress."""
        ...

    def tag(self, key: str) -> str:
        """What the customer's subject carries in brackets for the ticket."""
        ...


class JiraDesk:
    """The Jira Cloud sandbox; the webhook registered through Jira's admin resource with the
    body install-scheme sends."""

    name = "jira"

    def __init__(self) -> None:
        self.sandbox = SandboxProcess("cloud")

    def settings(self, folder: Path) -> dict[str, str]:
        return {"TICKETFLOW_JIRA_URL": self.sandbox.url, "TICKETFLOW_JIRA_EMAIL": API_USER,
                "TICKETFLOW_JIRA_TOKEN": API_TOKEN, "TICKETFLOW_CONFIG_DIR": str(ROOT),
                "TICKETFLOW_WEBHOOK_SECRET": SECRET}

    def prepare(self, service: Service, count: int) -> list[str]:
        service.command("install-scheme")
        self.sandbox.control("seed", {"count": count, "status": "Reviewing"})
        api = requests.Session()
        api.auth = (API_USER, API_TOKEN)
        keys = [f"HELP-{n}" for n in range(1, count + 1)]
        for n, key in enumerate(keys):
            api.put(f"{self.sandbox.url}/rest/api/2/issue/{key}", timeout=10, json={
                "fields": {"customfield_10072": f"customer{n}@uni.example.edu"}},
            ).raise_for_status()
        return keys

    def enable_webhooks(self, service: Service) -> None:
        hook = registration("jira", public_url=service.url, projects=["HELP"], secret=SECRET)
        requests.post(self.sandbox.url + hook.path, json=hook.body, auth=(
            API_USER, API_TOKEN), timeout=10).raise_for_status()

    def mover(self, keys: list[str]) -> Callable[[str], None]:
        engineer = requests.Session()
        engineer.auth = (ENGINEER, API_TOKEN)
        api = f"{self.sandbox.url}/rest/api/2/issue"
        moves = engineer.get(f"{api}/{keys[0]}/transitions", timeout=10).json()["transitions"]
        start_work = next(t["id"] for t in moves if t["to"]["name"] == "In Progress")
        return lambda key: engineer.post(f"{api}/{key}/transitions", timeout=10, json={
            "transition": {"id": start_work}}).raise_for_status()

    def tag(self, key: str) -> str:
        return key


def phase(desk: Desk, sink: Sink, keys: list[str], gaps: list[float],
          timeout: float) -> dict[str, Any]:
    """Alice moves each ticket to In Progress after its gap; the latency of each message."""
    move = desk.mover(keys)
    before = desk.sandbox.counts()["total"]
    changed: dict[str, float] = {}
    next_at = time.perf_counter()
    for key, gap in zip(keys, gaps, strict=True):
        next_at += gap
        time.sleep(max(next_at - time.perf_counter(), 0))
        changed[key] = time.perf_counter()
        move(key)
    tags = {desk.tag(key): key for key in keys}
    complete = sink.wait_for(list(tags), timeout)
    latencies = sorted(sink.arrived[t] - changed[k] for t, k in tags.items() if t in sink.arrived)
    return {"changes": len(keys), "delivered": len(latencies), "complete": complete,
            "p50_s": round(_percentile(latencies, 50), 2),
            "p95_s": round(_percentile(latencies, 95), 2),
            "mean_s": round(statistics.fmean(latencies), 2), "max_s": round(latencies[-1], 2),
            # Every request the sandbox served but alice's transitions: ticketflow's cost.
            "requests": desk.sandbox.counts()["total"] - before - len(keys),
            "seconds": round(time.perf_counter() - min(changed.values()), 1)}


def _percentile(values: list[float], p: int) -> float:
    """Nearest-rank percentile of sorted values."""
    return values[max(math.ceil(p / 100 * len(values)) - 1, 0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", choices=("jira", "zendesk"), default="jira")
    parser.add_argument("--quick", action="store_true",
                        help="30 changes a phase, a 15 s poll interval")
    parser.add_argument("--changes", type=int, help="changes per phase (default 200)")
    parser.add_argument("--gap", type=float, default=2.0,
                        help="mean seconds between two changes (default 2)")
    parser.add_argument("--poll-interval", type=int,
                        help="TICKETFLOW_POLL_INTERVAL (default: the service's default, 60)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--service-log", type=Path, metavar="FILE",
                        help="keep the service's log there (it runs in a scratch folder)")
    args = parser.parse_args(argv)
    changes = args.changes or (30 if args.quick else 200)
    poll = args.poll_interval or (15 if args.quick else None)
    interval = poll or 60
    draw = random.Random(args.seed)
    gaps = [draw.expovariate(1 / args.gap) for _ in range(changes)]
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    desk = _desk(args.tracker)
    # The feed's lag (Zendesk's minute) comes on top of the wait for the timer's poll.
    timeout = 2 * interval + 60 + 120 * (args.tracker == "zendesk")
    try:
        with tempfile.TemporaryDirectory() as folder:
            service = Service(desk.settings(Path(folder)), Path(folder), smtp.port, poll)
            keys = desk.prepare(service, 2 * changes)
            service.start()
            try:
                polled = phase(desk, sink, keys[:changes], gaps, timeout=timeout)
                desk.enable_webhooks(service)
                time.sleep(FLOOR.total_seconds())  # a poll the last phase left is behind us
                woken = phase(desk, sink, keys[changes:], gaps, timeout=timeout)
            finally:
                service.stop()
                if args.service_log:
                    shutil.copyfile(service.log, args.service_log)
    finally:
        desk.sandbox.stop()
        smtp.stop()
    return report(polled, woken, changes=changes, gap=args.gap, interval=interval,
                  quick=args.quick, tracker=desk.name)


def _desk(tracker: str) -> Desk:
    if tracker == "zendesk":
        import zendesk_latency  # only for this tracker

        return zendesk_latency.ZendeskDesk()
    return JiraDesk()


def report(polled: dict[str, Any], woken: dict[str, Any], *, changes: int, gap: float,
           interval: int, quick: bool, tracker: str) -> int:
    name = "Zendesk" if tracker == "zendesk" else "Jira"
    rows = [["", "p50", "p95", "mean", "max", "delivered", f"{name} requests", "seconds"]]
    for name, result in ((f"polling every {interval} s", polled),
                         (f"with webhooks (+ polling every {interval} s)", woken)):
        rows.append([name, f"{result['p50_s']} s", f"{result['p95_s']} s",
                     f"{result['mean_s']} s", f"{result['max_s']} s",
                     f"{result['delivered']}/{result['changes']}", result["requests"],
                     result["seconds"]])
    print(f"{changes} status changes a phase, {gap:g} s apart on average (Poisson); "
          f"change -> message in the SMTP server")
    print(table(rows))
    path = write("latency" + ("_zendesk" if tracker == "zendesk" else "")
                 + ("_quick" if quick else ""), {
        "tracker": tracker, "changes": changes, "mean_gap_s": gap, "poll_interval_s": interval,
        "wake_floor_s": (EXPORT_FLOOR if tracker == "zendesk" else FLOOR).total_seconds(),
        "polling": polled, "webhooks": woken})
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0 if polled["complete"] and woken["complete"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
