"""Templates name a ticket the way its tracker does: the reference, the subject tag and the
link come from the adapter, so the shipped templates read right on any tracker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connector.actions.context import template_variables
from connector.config.loader import load_config
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.templates.render import render, subject_with_tag

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


class RequestRefs:
    """References of the `#4711` kind (as Zendesk writes them)."""

    def display(self, key: str) -> str:
        return f"#{key}"

    def subject_tag(self, key: str) -> str:
        return f"[Request #{key}]"

    def in_subject(self, subject: str) -> list[str]:
        return []

    def parse(self, text: str) -> str | None:
        return text if text.isdigit() else None

    def web_url(self, key: str) -> str:
        return f"https://help.example.zendesk.com/agent/tickets/{key}"


def test_the_shipped_templates_use_the_trackers_references() -> None:
    """The acknowledgement's subject carries the tracker's tag once, its text the tracker's
    reference, and the engineer's notice the tracker's link: nothing says HELP- or /browse/."""
    config = load_config(ROOT)
    ticket = Ticket(issue_id="1", key="4711", project="HELP", status="Pending",
                    status_since=NOW, created=NOW, updated=NOW, summary="Locked out",
                    customer="pat@uni.example.edu")
    variables = template_variables(ticket, config=config, now=NOW, refs=RequestRefs(),
                                   calendar=BusinessCalendar.from_config(config.rules.calendar))
    ack = render(config.templates["request_submitted"], variables)
    assert ack.subject.startswith("[Request #4711] ")
    assert subject_with_tag(ack.subject, "[Request #4711]") == ack.subject
    assert "#4711" in ack.text
    notice = render(config.templates["assigned_to_you"], variables)
    assert "https://help.example.zendesk.com/agent/tickets/4711" in notice.text
    assert "HELP-" not in ack.text + notice.text and "/browse/" not in notice.text
