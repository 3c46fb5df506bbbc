"""The field codec: category, tier, e-mail and satisfaction where mappings.yaml keeps them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connector.config.trackers import FieldMap
from connector.tracker.jira.fields import FieldCodec, TicketFields, slug
from connector.tracker.jira.records import Issue

CATEGORIES = ["Access", "Data export", "Other"]
T0 = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def _codec(**fields: Any) -> FieldCodec:
    base = {
        "category": {"component": True},
        "tier": {"custom_field": "customfield_10071"},
        "customer_email": {"custom_field": "customfield_10072"},
    }
    return FieldCodec(FieldMap.model_validate({**base, **fields}), categories=CATEGORIES)


def _issue(**values: Any) -> Issue:
    return Issue(
        id="1", key="HELP-1", summary="s", status="Pending", created=T0, updated=T0, **values
    )


def test_custom_fields_are_requested_and_written_raw() -> None:
    """Custom field targets: listed for searches, written as plain values."""
    codec = _codec(satisfaction={"custom_field": "customfield_10073"})
    assert codec.custom_field_ids() == [
        "customfield_10071",
        "customfield_10072",
        "customfield_10073",
    ]
    assert codec.updates(None, tier=2, customer_email="c@example.org", satisfaction=5) == {
        "customfield_10071": 2,
        "customfield_10072": "c@example.org",
        "customfield_10073": 5,
    }


def test_component_category_replaces_only_category_components() -> None:
    """Setting a category drops the old category component and keeps people's components."""
    issue = _issue(components=("Access", "Billing"))
    assert _codec().updates(issue, category="Data export") == {
        "components": [{"name": "Billing"}, {"name": "Data export"}]
    }
    assert _codec().updates(issue, category=None) == {"components": [{"name": "Billing"}]}


def test_label_targets_keep_other_labels_and_read_back() -> None:
    """`cat-` and `tier-` labels: slugged on the way in, category names on the way out."""
    codec = _codec(category={"label_prefix": "cat-"}, tier={"label_prefix": "tier-"})
    issue = _issue(labels=("vip", "cat-access", "tier-1"))
    update = codec.updates(issue, category="Data export", tier=2)
    assert update == {"labels": ["vip", "cat-data-export", "tier-2"]}
    after = _issue(labels=tuple(update["labels"]), custom_fields={"customfield_10072": "c@x.y"})
    assert codec.read(after) == TicketFields(category="Data export", tier=2, customer_email="c@x.y")


def test_reading_numbers_as_jira_returns_them() -> None:
    """Jira returns number fields as floats; select-list values as {value: ...}."""
    issue = _issue(
        components=("Other",), custom_fields={"customfield_10071": 3.0, "customfield_10072": None}
    )
    assert _codec().read(issue) == TicketFields(category="Other", tier=3)
    odd = _issue(custom_fields={"customfield_10071": {"value": "2"}})
    assert _codec().read(odd).tier == 2


def test_unset_values_are_left_alone() -> None:
    """Only the values named are in the update."""
    assert _codec().updates(_issue(), tier=1) == {"customfield_10071": 1}
    assert _codec().updates(_issue()) == {}


@pytest.mark.parametrize(
    ("name", "expected"), [("Data export", "data-export"), ("Project setup!", "project-setup")]
)
def test_slug(name: str, expected: str) -> None:
    """Labels cannot hold spaces; slugs are lower case with dashes."""
    assert slug(name) == expected
