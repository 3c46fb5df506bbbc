"""Webhook delivery: signed POSTs to registered URLs from one background thread.

The tracker decides what to send and signs it (Jira and Zendesk sign differently); this module
only carries it, so a slow or dead receiver never holds up an API request. Each delivery is
tried once, with a short timeout, and its outcome is kept in a bounded log for the control
endpoint (`GET /_sandbox/webhooks`) and for tests, which can wait until the queue is empty.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

LOG_SIZE = 1000
TIMEOUT_S = 5.0


@dataclass(slots=True)
class Delivery:
    """One webhook POST; `status` is the receiver's HTTP status, or None with an `error`."""

    url: str
    event: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["body"] = self.body.decode("utf-8", "replace")
        return out


class WebhookSender:
    """A queue and one daemon thread that posts what is queued, in order."""

    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._pending: deque[Delivery] = deque()
        self._log: deque[Delivery] = deque(maxlen=LOG_SIZE)
        self._busy = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def send(self, url: str, event: str, body: bytes, headers: dict[str, str]) -> None:
        """Queue a POST; returns at once (the caller may hold the store's lock)."""
        with self._changed:
            self._pending.append(Delivery(url, event, body, headers))
            self._busy += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks",
                                                daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted; False if that took too long."""
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout_s)

    def log(self) -> list[Delivery]:
        with self._changed:
            return list(self._log)

    def clear_log(self) -> None:
        with self._changed:
            self._log.clear()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
                delivery = self._pending.popleft()
            self._post(delivery)
            with self._changed:
                self._log.append(delivery)
                self._busy -= 1
                self._changed.notify_all()

    def _post(self, delivery: Delivery) -> None:
        request = urllib.request.Request(  # noqa: S310 - URLs are http(s), checked at registration
            delivery.url, data=delivery.body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", **delivery.headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:  # noqa: S310
                delivery.status = answer.status
        except urllib.error.HTTPError as refused:
            delivery.status = refused.code
        except (OSError, ValueError) as failed:
            delivery.error = f"{type(failed).__name__}: {failed}"
            log.debug("webhook to %s failed: %s", delivery.url, failed)
