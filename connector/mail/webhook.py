"""Chat notices: a Slack or Teams incoming-webhook post, queued and delivered like mail."""

from __future__ import annotations

import json
from typing import Any, Literal

import requests

from connector.mail.base import DeliveryUnavailableError, MessageRejectedError

WebhookFormat = Literal["slack", "teams"]
TIMEOUT_SECONDS = 15.0


def webhook_payload(fmt: WebhookFormat, *, subject: str, text: str, link: str) -> bytes:
    """The JSON body the chat service expects; stored in the outbox as the message."""
    body: dict[str, Any]
    if fmt == "teams":  # an Office 365 connector card, which Teams incoming webhooks take
        body = {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                "summary": subject, "title": subject, "text": text.replace("\n", "  \n"),
                "potentialAction": [{"@type": "OpenUri", "name": "Open the ticket",
                                     "targets": [{"os": "default", "uri": link}]}]}
    else:  # Slack: mrkdwn text with the link in Slack's <url|label> form
        body = {"text": f"*{subject}*\n{text}\n<{link}|Open the ticket>"}
    return json.dumps(body, ensure_ascii=False).encode()


class WebhookMailer:
    """POSTs the queued JSON to the incoming-webhook URL (a secret: from the environment)."""

    def __init__(self, url: str, *, session: requests.Session | None = None,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._url = url
        self._session = session or requests.Session()
        self._timeout = timeout

    def send(self, message: bytes, *, sender: str, recipient: str, name: str) -> None:
        del sender, name
        try:
            reply = self._session.post(self._url, data=message, timeout=self._timeout,
                                       headers={"Content-Type": "application/json"})
        except requests.RequestException as error:
            # The URL carries the secret: name the error's kind, never the request.
            raise DeliveryUnavailableError(f"webhook: {type(error).__name__}") from None
        if reply.status_code == 429 or reply.status_code >= 500:  # the chat service, not the post
            raise DeliveryUnavailableError(f"webhook: HTTP {reply.status_code}")
        if reply.status_code >= 400:
            raise MessageRejectedError(f"webhook for {recipient}: HTTP {reply.status_code} "
                                       f"{reply.text[:200]}")

    def close(self) -> None:
        self._session.close()
