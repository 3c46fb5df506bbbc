"""What a tracker must be told so that its webhooks reach `run`: the seam for install-scheme.

`registration()` returns the API call that registers the webhook (method, path, body), the
secret `run` verifies deliveries with, and what an administrator does by hand where the API
does not allow it; the tracker adapter sends the call (install-scheme) or prints the steps.
Nothing here talks to a tracker.

- Jira (Cloud and Data Center): an *admin webhook* (`POST /rest/webhooks/1.0/webhook`, a Jira
  administrator's token), with our secret, so Cloud signs every delivery. Dynamic webhooks
  (`/rest/api/3/webhook`) are for Connect and OAuth 2.0 apps only, not for an API token.
  Without TICKETFLOW_WEBHOOK_SECRET there is nothing to register.
- Zendesk: a webhook subscribed to ticket events (`POST /api/v2/webhooks`, an admin's token),
  registered by the adapter (connector/tracker/zendesk/webhooks.py). Zendesk makes the signing
  secret itself (`makes_secret`): the adapter reads it back with
  `GET /api/v2/webhooks/{id}/signing_secret` and says whether TICKETFLOW_WEBHOOK_SECRET is it;
  the by-hand steps are the fallback for a token without admin rights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

JIRA_EVENTS = ("jira:issue_created", "jira:issue_updated", "comment_created")
ZENDESK_EVENTS = tuple(f"zen:event-type:ticket.{name}" for name in (
    "created", "status_changed", "custom_status_changed", "comment_added",
    "agent_assignment_changed", "group_assignment_changed", "custom_field_changed"))


@dataclass(frozen=True)
class Registration:
    """One webhook for the tracker to send to `url`, and how to make it so. `secret` is the
    one `run` verifies with (TICKETFLOW_WEBHOOK_SECRET; None when unset); `makes_secret`: the
    tracker makes the signing secret itself (Zendesk), so ours is compared, not sent."""

    tracker: str
    url: str
    method: str
    path: str
    body: dict[str, Any] = field(repr=False)  # Jira's carries the secret
    by_hand: tuple[str, ...]
    secret: str | None = field(default=None, repr=False)
    makes_secret: bool = False


def hook_url(public_url: str, tracker: str) -> str:
    """Where the tracker posts: `run`'s /hooks/TRACKER under TICKETFLOW_PUBLIC_URL."""
    return f"{public_url.rstrip('/')}/hooks/{tracker}"


def registration(tracker: str, *, public_url: str, projects: Sequence[str],
                 secret: str | None) -> Registration:
    """The webhook for `tracker` ("jira" or "zendesk") covering `projects` (Jira keys)."""
    if tracker == "jira":
        return _jira(hook_url(public_url, tracker), projects, secret)
    if tracker == "zendesk":
        return _zendesk(hook_url(public_url, tracker), secret)
    raise ValueError(f"no webhooks for tracker {tracker!r}; expected jira or zendesk")


def _jira(url: str, projects: Sequence[str], secret: str | None) -> Registration:
    jql = "project in (" + ", ".join(f'"{key}"' for key in projects) + ")"
    body = {"name": "ticketflow", "url": url, "events": list(JIRA_EVENTS),
            "filters": {"issue-related-events-section": jql}, "excludeBody": False,
            "secret": secret}
    return Registration("jira", url, "POST", "/rest/webhooks/1.0/webhook", body, (
        "Jira settings > System > WebHooks > Create a WebHook",
        f"Name: ticketflow; URL: {url}",
        "Secret: the value of TICKETFLOW_WEBHOOK_SECRET",
        f"Events: Issue created, Issue updated, Comment created; JQL: {jql}",
    ), secret)


def _zendesk(url: str, secret: str | None) -> Registration:
    body = {"webhook": {"name": "ticketflow", "endpoint": url, "http_method": "POST",
                        "request_format": "json", "status": "active",
                        "subscriptions": list(ZENDESK_EVENTS)}}
    return Registration("zendesk", url, "POST", "/api/v2/webhooks", body, (
        "Admin Center > Apps and integrations > Webhooks > Webhooks > Create webhook",
        "Zendesk events: the ticket events created, status changed, custom status changed, "
        "comment added, agent and group assignment changed, custom field changed",
        f"Endpoint URL: {url}; method POST; format JSON; no authentication",
        "After creating it: Reveal secret, and set it as TICKETFLOW_WEBHOOK_SECRET",
    ), secret, makes_secret=True)
