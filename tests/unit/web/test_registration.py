"""What install-scheme will register (or tell the admin to register): webhooks to `run`'s
/hooks/ under the public URL, for every project, signed with the shared secret."""

from __future__ import annotations

import pytest

from connector.web.registration import registration


def test_jira_admin_webhook_for_every_project_with_our_secret() -> None:
    """One admin webhook to /hooks/jira, filtered to the service's projects, carrying the
    secret Jira signs with; the by-hand steps say the same for an admin's screen."""
    hook = registration("jira", public_url="https://helpdesk.example.edu/", projects=[
        "HELP", "OPS"], secret="shared-webhook-secret-0123456789")
    assert (hook.method, hook.path) == ("POST", "/rest/webhooks/1.0/webhook")
    assert hook.url == "https://helpdesk.example.edu/hooks/jira"
    assert hook.body["url"] == hook.url
    assert hook.body["secret"] == "shared-webhook-secret-0123456789"
    assert hook.body["filters"] == {"issue-related-events-section": 'project in ("HELP", "OPS")'}
    assert "jira:issue_updated" in hook.body["events"]
    assert any('JQL: project in ("HELP", "OPS")' in step for step in hook.by_hand)
    assert not any("shared-webhook-secret" in step for step in hook.by_hand)


def test_zendesk_webhook_subscribes_to_ticket_events_and_its_secret_comes_back() -> None:
    """Zendesk's webhook is subscribed to ticket events as POST/JSON (what event
    subscriptions require); Zendesk makes the secret, so the steps end with copying it."""
    hook = registration("zendesk", public_url="https://helpdesk.example.edu", projects=[],
                        secret="")
    webhook = hook.body["webhook"]
    assert (webhook["endpoint"], webhook["http_method"], webhook["request_format"]) == (
        "https://helpdesk.example.edu/hooks/zendesk", "POST", "json")
    assert "zen:event-type:ticket.status_changed" in webhook["subscriptions"]
    assert "TICKETFLOW_WEBHOOK_SECRET" in hook.by_hand[-1]


def test_no_webhook_for_an_unknown_tracker() -> None:
    """A tracker without webhooks here is said plainly, not registered wrongly."""
    with pytest.raises(ValueError, match="expected jira or zendesk"):
        registration("github", public_url="https://x.example", projects=[], secret="")
