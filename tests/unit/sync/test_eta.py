"""The ETA a message promises: the first response for an acknowledgement, the resolution for
everything else; a template can name either."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.unit.sync.conftest import LedgerRig


def test_the_acknowledgement_promises_a_first_response_and_work_started_a_resolution(
        make_rig: Callable[..., LedgerRig]) -> None:
    """Tier 1 promises a first response within 4h and a resolution within 2 business days:
    the acknowledgement (an `acknowledgement_templates` message) says 4h, work started says
    2 business days."""
    rig = make_rig()
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    rig.move(key, "Reviewing", "In Progress")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    (ack,) = rig.mails(key, "request_submitted")
    assert "We aim to respond within 4h\r\n(by Monday 30 November, 13:05 CST)" in rig.body(ack)
    (started,) = rig.mails(key, "work_started")
    assert "We expect to finish within 2 business days" in rig.body(started)


def test_a_template_names_either_promise(make_rig: Callable[..., LedgerRig]) -> None:
    """`eta.first_response.words` and `eta.resolve.words` are there in every message, whatever
    `eta` itself is for."""
    rig = make_rig()
    template = rig.folder / "rules" / "templates" / "request_submitted.txt.j2"
    template.write_text("Subject: [{{ ticket.key }}] Received\n\nFirst answer "
                        "{{ eta.first_response.words }}, solved {{ eta.resolve.words }} (by "
                        "{{ eta.resolve.local }}).\n")
    key = rig.new_ticket("Locked out of my account")
    rig.advance(timedelta(minutes=5))
    rig.cycle()
    (ack,) = rig.mails(key, "request_submitted")
    assert rig.body(ack).strip() == ("First answer within 4h, solved within 2 business days "
                                     "(by Wednesday 2 December, 09:05 CST).")
