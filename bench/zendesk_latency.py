"""The Zendesk part of bench/latency.py: the Zendesk sandbox, tickets in Reviewing each with
its own customer, and the webhook registered by install-scheme itself.

install-scheme (with TICKETFLOW_PUBLIC_URL) creates the webhook to /hooks/zendesk; the bench
reads its signing secret as an admin would and gives it to the service, and sets the webhook
inactive for the polling-only phase. For the phase with webhooks, a second install-scheme
finds it inactive and makes it active again (what it does to a webhook that is not as
ticketflow needs it). The sandbox's export limit stays at Zendesk's 10 requests a minute.

Run:  .venv/bin/python bench/latency.py --tracker zendesk [--quick] [...]
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from common import SandboxProcess

from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER

if TYPE_CHECKING:
    from latency import Service

ENGINEER = "alice@example.edu/token"  # Zendesk's API-token login


class ZendeskDesk:
    name = "zendesk"

    def __init__(self) -> None:
        self.sandbox = SandboxProcess(tracker="zendesk")
        self.admin = requests.Session()
        self.admin.auth = (f"{API_USER}/token", API_TOKEN)
        self.engineer = requests.Session()
        self.engineer.auth = (ENGINEER, API_TOKEN)

    def settings(self, folder: Path) -> dict[str, str]:
        return {"TICKETFLOW_ZENDESK_URL": self.sandbox.url,
                "TICKETFLOW_ZENDESK_EMAIL": API_USER, "TICKETFLOW_ZENDESK_TOKEN": API_TOKEN,
                "TICKETFLOW_CONFIG_DIR": str(config_dir_for("zendesk", folder))}

    def prepare(self, service: Service, count: int) -> list[str]:
        """Tickets made two minutes back on the sandbox clock, so the first run's export
        (which leaves out the last minute) mirrors them all and no rule fires for them."""
        service.command("install-scheme")
        hook = self._webhook()
        self._set_status(hook, "inactive")
        secret = self._get(f"webhooks/{hook['id']}/signing_secret")["signing_secret"]["secret"]
        service.env["TICKETFLOW_WEBHOOK_SECRET"] = secret
        reviewing = self._status_id("Reviewing")
        self.sandbox.control("clock", {"now": (datetime.now(UTC) - timedelta(minutes=2))
                                       .isoformat()})
        keys = []
        for n in range(count):
            answer = self.engineer.post(f"{self.sandbox.url}/api/v2/tickets", timeout=10, json={
                "ticket": {"subject": f"Export request {n}",
                           "comment": {"body": "Please export my project."},
                           "requester": f"customer{n}@uni.example.edu",
                           "custom_status_id": reviewing}})
            answer.raise_for_status()
            keys.append(str(answer.json()["ticket"]["id"]))
        self.sandbox.control("clock", {"frozen": False})
        return keys

    def enable_webhooks(self, service: Service) -> None:
        service.command("install-scheme")  # finds the webhook inactive: activates it
        if self._webhook()["status"] != "active":
            raise RuntimeError("install-scheme left the webhook inactive")

    def mover(self, keys: list[str]) -> Callable[[str], None]:
        in_progress = self._status_id("In Progress")

        def move(key: str) -> None:
            self.engineer.put(f"{self.sandbox.url}/api/v2/tickets/{key}", timeout=10, json={
                "ticket": {"custom_status_id": in_progress}}).raise_for_status()
        return move

    def tag(self, key: str) -> str:
        return f"Request #{key}"

    def _get(self, path: str) -> dict[str, object]:
        answer = self.admin.get(f"{self.sandbox.url}/api/v2/{path}", timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def _webhook(self) -> dict[str, object]:
        (hook,) = self._get("webhooks")["webhooks"]  # type: ignore[misc]
        return dict(hook)

    def _set_status(self, hook: dict[str, object], status: str) -> None:
        kept = ("name", "endpoint", "http_method", "request_format", "subscriptions")
        self.admin.put(f"{self.sandbox.url}/api/v2/webhooks/{hook['id']}", timeout=10, json={
            "webhook": {**{k: hook[k] for k in kept}, "status": status}}).raise_for_status()

    def _status_id(self, label: str) -> int:
        statuses = self._get("custom_statuses")["custom_statuses"]
        return next(int(s["id"]) for s in statuses  # type: ignore[attr-defined]
                    if s["agent_label"] == label)
