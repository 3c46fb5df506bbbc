"""Chat webhooks: the payload shapes, and HTTP answers mapped to retry or refusal."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from connector.mail.base import DeliveryUnavailableError, MessageRejectedError
from connector.mail.webhook import WebhookMailer, webhook_payload

URL = "https://hooks.slack.example/services/T000/B000/secret"


def test_slack_and_teams_payloads() -> None:
    """Slack gets mrkdwn text with the link; Teams a MessageCard with an Open action."""
    slack = json.loads(webhook_payload("slack", subject="[HELP-1] Assigned", text="Hi",
                                       link="https://jira/browse/HELP-1"))
    assert slack == {
        "text": "*[HELP-1] Assigned*\nHi\n<https://jira/browse/HELP-1|Open the ticket>"}
    teams = json.loads(webhook_payload("teams", subject="S", text="a\nb", link="https://l"))
    assert teams["@type"] == "MessageCard" and teams["title"] == "S"
    assert teams["potentialAction"][0]["targets"][0]["uri"] == "https://l"


@responses.activate
def test_post_and_status_mapping() -> None:
    """2xx delivered; 429, 5xx and a refused connection pause the chat channel (the service
    is unavailable, not this post); other 4xx refuse the post; the URL (a secret) never
    appears in an error."""
    hook = WebhookMailer(URL)
    responses.post(URL, status=200)
    hook.send(b'{"text": "x"}', sender="", recipient="webhook:bob", name="n")
    assert responses.calls[0].request.body == b'{"text": "x"}'
    for status, error in ((429, DeliveryUnavailableError), (503, DeliveryUnavailableError),
                          (404, MessageRejectedError)):
        responses.replace(responses.POST, URL, status=status, body="no_service")
        with pytest.raises(error) as raised:
            hook.send(b"{}", sender="", recipient="webhook:bob", name="n")
        assert "secret" not in str(raised.value)
    responses.replace(responses.POST, URL, body=requests.ConnectionError("refused"))
    with pytest.raises(DeliveryUnavailableError) as raised:
        hook.send(b"{}", sender="", recipient="webhook:bob", name="n")
    assert "secret" not in str(raised.value)
    hook.close()
