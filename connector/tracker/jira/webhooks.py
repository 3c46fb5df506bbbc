"""Registering `run`'s webhook with Jira: the admin webhook resource on Data Center; by hand
on Cloud.

Data Center documents `/rest/webhooks/1.0/webhook` (a Jira administrator's token). On Cloud
the REST API for webhooks (`/rest/api/3/webhook`, "dynamic webhooks") is for Connect and
OAuth 2.0 apps only, not for an API token (the Cloud platform OpenAPI document says so for
every operation of that group and lists no other webhook resource), so an administrator
creates the webhook in Jira's settings: the steps are printed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connector.tracker.base import WebhookCall
from connector.tracker.jira.convert import a_list
from connector.tracker.jira.http import JiraHttp
from connector.tracker.jira.records import Flavor


def register_webhook(http: JiraHttp, flavor: Flavor, hook: WebhookCall, *, dry_run: bool,
                     echo: Callable[[str], None]) -> bool:
    """Register `hook` (Data Center) unless a webhook to its URL exists; on Cloud, print
    what the administrator does. Whether it is in place now."""
    if flavor == "cloud":
        echo("! webhook: Jira Cloud lets only Connect and OAuth 2.0 apps register webhooks "
             "with its API; a Jira administrator creates this one by hand:")
        for step in hook.by_hand:
            echo(f"    {step}")
        return False
    existing = [w for w in a_list(http.get(hook.path), "webhooks")
                if isinstance(w, dict) and w.get("url") == hook.url]
    if existing:
        echo(f"= webhook to {hook.url} exists")
        return True
    if dry_run:
        echo(f"+ register webhook to {hook.url} ({_events(hook.body)})")
        return False
    http.post(hook.path, hook.body)
    echo(f"done: register webhook to {hook.url} ({_events(hook.body)})")
    return True


def _events(body: dict[str, Any]) -> str:
    return ", ".join(str(e) for e in body.get("events", ()))
