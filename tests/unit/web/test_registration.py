"""What install-scheme registers (or tells the admin to register): webhooks to `run`'s
/hooks/ under the public URL, for every project, signed with the shared secret (Jira's) or
with the one Zendesk makes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connector.app import register_webhook
from connector.config.loader import load_config
from connector.config.shipped import config_dir_for
from connector.settings import Settings
from connector.web.registration import Registration, registration


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
                        secret=None)
    webhook = hook.body["webhook"]
    assert (webhook["endpoint"], webhook["http_method"], webhook["request_format"]) == (
        "https://helpdesk.example.edu/hooks/zendesk", "POST", "json")
    assert "zen:event-type:ticket.status_changed" in webhook["subscriptions"]
    # The workflow's statuses are custom ones, most in one category: a move between them
    # changes the custom status only.
    assert "zen:event-type:ticket.custom_status_changed" in webhook["subscriptions"]
    assert "TICKETFLOW_WEBHOOK_SECRET" in hook.by_hand[-1]


def test_no_webhook_for_an_unknown_tracker() -> None:
    """A tracker without webhooks here is said plainly, not registered wrongly."""
    with pytest.raises(ValueError, match="expected jira or zendesk"):
        registration("github", public_url="https://x.example", projects=[], secret="")


def test_the_secret_run_verifies_with_rides_along_but_is_never_shown() -> None:
    """Zendesk's registration carries TICKETFLOW_WEBHOOK_SECRET for the adapter to compare
    (Zendesk makes its own, so none is sent in the body); its repr, which may reach a log or
    a traceback, shows neither secret."""
    zendesk = registration("zendesk", public_url="https://h.example", projects=[],
                           secret="shared-webhook-secret-0123456789")
    jira = registration("jira", public_url="https://h.example", projects=["HELP"],
                        secret="shared-webhook-secret-0123456789")
    assert (zendesk.secret, zendesk.makes_secret, jira.makes_secret) == (
        "shared-webhook-secret-0123456789", True, False)
    assert "signing_secret" not in zendesk.body["webhook"]
    assert "shared-webhook-secret" not in repr(zendesk) + repr(jira)


class Recorder:
    """A tracker that registers webhooks by remembering what it was asked."""

    def __init__(self) -> None:
        self.hooks: list[Registration] = []

    def register_webhook(self, hook: Registration, *, dry_run: bool,
                         echo: Callable[[str], None] = print) -> bool:
        self.hooks.append(hook)
        return True


@pytest.mark.parametrize(("tracker", "registered"), [("zendesk", True), ("jira", False)])
def test_install_scheme_registers_zendesk_before_the_secret_is_known(
        tmp_path: Path, tracker: str, registered: bool) -> None:
    """With TICKETFLOW_PUBLIC_URL but no TICKETFLOW_WEBHOOK_SECRET, install-scheme still
    registers Zendesk's webhook (Zendesk makes the secret, so it cannot be known before),
    but not Jira's, which would be signed with the missing secret."""
    config = load_config(config_dir_for(tracker, tmp_path))
    settings = Settings(public_url="https://helpdesk.example.edu", _env_file=None)
    tracker_ = Recorder()
    register_webhook(config, settings, tracker_, dry_run=False, echo=lambda line: None)
    assert [h.url for h in tracker_.hooks] == (
        [f"https://helpdesk.example.edu/hooks/{tracker}"] if registered else [])
    assert all(h.secret is None for h in tracker_.hooks)
