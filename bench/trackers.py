"""Which tracker a benchmark runs against: Jira Cloud, Jira Data Center or Zendesk Support,
each as its sandbox, its settings and configuration, and the engineers' logins.

Engineers act through the tracker adapter with their own credentials, as they would in the
tracker's screens, so the same simulated week reads the same on every tracker.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from common import ROOT, SandboxProcess

from connector.app import connect_tracker, installer
from connector.config.loader import Config, load_config
from connector.config.shipped import config_dir_for
from connector.http.retry import Retrier
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.settings import Settings
from connector.tracker.base import Tracker

KINDS = ("jira-cloud", "jira-datacenter", "zendesk")
# How each tracker's ticket references appear in a message's text (`HELP-12`, `#4711`).
REFERENCE = {"jira": re.compile(r"\bHELP-\d+\b"), "zendesk": re.compile(r"#\d+\b")}


class InProcessSandbox:
    """A sandbox served from this process (Data Center's scheme must be copied into its
    store: its REST API cannot create workflows), with SandboxProcess's methods."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox.start()
        self.url = sandbox.url

    def set_clock(self, when: datetime) -> None:
        self.sandbox.set_clock(when)

    def faults(self, **settings: Any) -> None:
        self.sandbox.set_faults(**settings)

    def control(self, path: str, body: dict[str, Any]) -> None:
        requests.post(f"{self.url}/_sandbox/{path}", json=body, timeout=60).raise_for_status()

    def stop(self) -> None:
        self.sandbox.stop()


@dataclass(frozen=True)
class Desk:
    """One tracker kind: `jira-cloud`, `jira-datacenter` or `zendesk`."""

    kind: str
    scratch: Path

    @property
    def tracker(self) -> str:
        return "zendesk" if self.kind == "zendesk" else "jira"

    @property
    def reference(self) -> re.Pattern[str]:
        return REFERENCE[self.tracker]

    def config_dir(self) -> Path:
        return config_dir_for(self.tracker, self.scratch)

    def config(self) -> Config:
        return load_config(self.config_dir())

    def start(self, now: datetime) -> SandboxProcess | InProcessSandbox:
        """The sandbox, with the workflow installed where install-scheme cannot do it."""
        if self.kind == "zendesk":
            sandbox = SandboxProcess(tracker="zendesk")
            # Its clock stands still within a tick, so "10 a minute" would be 10 a tick.
            sandbox.control("limits", {"incremental_per_minute": None})
            return sandbox
        if self.kind == "jira-cloud":
            return SandboxProcess("cloud")
        return InProcessSandbox(self._datacenter(now))

    def _datacenter(self, now: datetime) -> Sandbox:
        """A Data Center sandbox holding the scheme an administrator would make by following
        install-scheme's checklist (copied from a Cloud sandbox it was installed into)."""
        config = self.config()
        dc = Sandbox("datacenter", now=now)
        with Sandbox("cloud", now=now) as cloud:
            cloud_settings = Settings(jira_url=cloud.url, jira_email=API_USER,
                                      jira_token=API_TOKEN, jira_flavor="cloud",
                                      _env_file=None)  # type: ignore[call-arg]
            installer(config, cloud_settings).install_scheme(config, dry_run=False,
                                                             echo=lambda _: None)
            with cloud.store.lock, dc.store.lock:
                for name in ("statuses", "workflows", "schemes", "components"):
                    setattr(dc.store, name, copy.deepcopy(getattr(cloud.store, name)))
                dc.store.counters.update(cloud.store.counters)
                dc.store.projects[10000].scheme_id = cloud.store.projects[10000].scheme_id
        return dc

    def env(self, url: str, user: str = API_USER) -> dict[str, str]:
        """The TICKETFLOW_ settings that reach this tracker as `user`."""
        if self.kind == "zendesk":
            return {"TICKETFLOW_ZENDESK_URL": url, "TICKETFLOW_ZENDESK_EMAIL": user,
                    "TICKETFLOW_ZENDESK_TOKEN": API_TOKEN}
        token = API_TOKEN
        if self.kind == "jira-datacenter" and user != API_USER:
            token = f"{API_TOKEN}-{user.partition('@')[0]}"  # each person's own PAT
        return {"TICKETFLOW_JIRA_URL": url, "TICKETFLOW_JIRA_EMAIL": user,
                "TICKETFLOW_JIRA_TOKEN": token,
                "TICKETFLOW_JIRA_FLAVOR": self.kind.removeprefix("jira-")}

    def needs_install(self) -> bool:
        return self.kind != "jira-datacenter"

    def as_user(self, config: Config, url: str, user: str) -> Tracker:
        """The tracker as `user` sees it, retrying without sleeping (faults are per request)."""
        return connect_tracker(config, settings_from(self.env(url, user)),
                               retrier=Retrier(sleep=lambda _seconds: None))

    def keys(self, url: str) -> list[str]:
        """Every ticket in the tracker, read past ticketflow (faults off)."""
        session = requests.Session()
        session.auth = (API_USER, API_TOKEN)
        if self.kind == "zendesk":
            session.auth = (f"{API_USER}/token", API_TOKEN)
            return _zendesk_keys(session, url)
        if self.kind == "jira-cloud":
            return _cloud_keys(session, url)
        session.auth = None
        session.headers["Authorization"] = f"Bearer {API_TOKEN}"
        return _datacenter_keys(session, url)


def settings_from(env: dict[str, str]) -> Settings:
    """Settings from TICKETFLOW_ variables, as the command line would read them."""
    given = {name.removeprefix("TICKETFLOW_").lower(): value
             for name, value in env.items() if name.startswith("TICKETFLOW_")}
    return Settings(_env_file=None, **{  # type: ignore[call-arg]
        name: value for name, value in given.items() if name in Settings.model_fields})


def _zendesk_keys(session: requests.Session, url: str) -> list[str]:
    keys, page = [], f"{url}/api/v2/tickets.json?per_page=100"
    while page:
        body = session.get(page, timeout=60).json()
        keys += [str(ticket["id"]) for ticket in body["tickets"]]
        page = body.get("next_page")
    return keys


def _cloud_keys(session: requests.Session, url: str) -> list[str]:
    keys, token = [], None
    while True:
        body: dict[str, Any] = {"jql": "project = HELP ORDER BY key ASC", "maxResults": 100,
                                "fields": ["status"]}
        if token:
            body["nextPageToken"] = token
        page = session.post(f"{url}/rest/api/3/search/jql", json=body, timeout=60).json()
        keys += [issue["key"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        if not token:
            return keys


def _datacenter_keys(session: requests.Session, url: str) -> list[str]:
    keys: list[str] = []
    while True:
        page = session.post(f"{url}/rest/api/2/search", timeout=60, json={
            "jql": "project = HELP ORDER BY key ASC", "maxResults": 100,
            "startAt": len(keys), "fields": ["status"]}).json()
        keys += [issue["key"] for issue in page["issues"]]
        if not page["issues"] or len(keys) >= int(page["total"]):
            return keys


def base_env(folder: Path, config_dir: Path) -> dict[str, str]:
    """What every run of the service sees besides the tracker."""
    return {**os.environ, "PYTHONPATH": str(ROOT),
            "TICKETFLOW_STATE_DB": str(folder / "state.db"),
            "TICKETFLOW_OUTBOX_DIR": str(folder / "outbox"),
            "TICKETFLOW_MAILDIR": str(folder / "Maildir"),
            "TICKETFLOW_PUBLIC_URL": "https://helpdesk.example.edu",
            "TICKETFLOW_CONFIG_DIR": str(config_dir)}
