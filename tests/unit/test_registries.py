"""Every kind rules.yaml may name has the code that carries it out and a README row: a new
action, condition, event or channel cannot pass validation and then fail at run time with a
KeyError in a registry."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from connector.actions.channels import CHANNELS
from connector.actions.executors import EXECUTORS
from connector.config.actions import ACTIONS
from connector.config.conditions import CONDITIONS
from connector.config.events import EVENTS
from connector.config.notifications import AssigneeChannel, CustomerChannel
from connector.engine.conditions import EVALUATORS
from connector.engine.events import EventKind
from connector.engine.planner import MATCHERS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _words(field: object) -> set[str]:
    return set(typing.get_args(getattr(field, "annotation", None)))


def test_every_action_kind_has_an_executor() -> None:
    """`then:` kinds and executors are the same set: none missing, none left over."""
    assert {kind: model for kind, model in ACTIONS.items() if model not in EXECUTORS} == {}
    assert set(EXECUTORS) == set(ACTIONS.values())


def test_every_condition_kind_has_an_evaluator() -> None:
    """`if:` kinds and evaluators are the same set."""
    assert {kind: m for kind, m in CONDITIONS.items() if m not in EVALUATORS} == {}
    assert set(EVALUATORS) == set(CONDITIONS.values())


def test_every_event_kind_has_a_matcher_and_is_an_event_the_poller_can_raise() -> None:
    """`on:` kinds have a matcher in the planner, and each is a kind of event the engine
    knows (one `on:` the poller never raises would be a rule that never fires)."""
    assert set(MATCHERS) == set(EVENTS.values())
    assert set(EVENTS) == set(typing.get_args(EventKind))


def test_every_channel_word_has_a_sender_and_a_readme_row() -> None:
    """Each `via:` word rules.yaml accepts has its sender in the channel registry and a row
    in the README's channel table, and the registry holds no sender rules.yaml cannot name."""
    words = (_words(AssigneeChannel.model_fields["via"])
             | _words(CustomerChannel.model_fields["via"]))
    assert words == set(CHANNELS)
    for word in words:
        assert re.search(rf"^\| `{word}` \|", README, flags=re.MULTILINE), word
