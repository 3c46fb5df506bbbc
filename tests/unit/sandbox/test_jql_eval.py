"""Evaluating JQL against the store: values, time zones, epoch millis, ordering and indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.sandbox import Sandbox
from connector.sandbox.clock import to_ms
from connector.sandbox.jira.jql import JqlError
from connector.sandbox.jira.query import compile_jql, evaluate
from connector.sandbox.jira.store import Store

CHICAGO = "America/Chicago"
T0 = datetime(2026, 11, 26, 15, 50, tzinfo=UTC)  # 09:50 in Chicago


@pytest.fixture
def store() -> Store:
    """Three issues updated 09:50, 10:00 and 10:10 Chicago time; HELP-3 is Done."""
    sandbox = Sandbox("cloud", now=T0 + timedelta(hours=1))
    sandbox.seed_issues(2, start=T0, step=timedelta(minutes=10))
    sandbox.seed_issues(1, start=T0 + timedelta(minutes=20), status="Done")
    return sandbox.store


def keys(store: Store, jql: str, tz: str = CHICAGO) -> list[str]:
    return [store.issues[i].key for i in evaluate(store, compile_jql(store, jql, tz))]


def test_date_literals_are_read_in_the_callers_time_zone(store: Store) -> None:
    """"yyyy/MM/dd HH:mm" means wall time where the API user lives, as in Jira."""
    assert keys(store, 'updated >= "2026/11/26 10:00" ORDER BY key') == ["HELP-2", "HELP-3"]
    assert keys(store, 'updated >= "2026/11/26 17:00" ORDER BY key', "Europe/Berlin") == [
        "HELP-2", "HELP-3"]
    assert keys(store, 'updated > "2026-11-26 10:00" ORDER BY key') == ["HELP-3"]
    assert keys(store, 'created < "2026/11/26" ORDER BY key') == []
    assert keys(store, 'created >= "2026/11/26" ORDER BY key') == ["HELP-1", "HELP-2", "HELP-3"]


def test_epoch_milliseconds_compare_exactly(store: Store) -> None:
    """A bare number is an instant in epoch milliseconds, independent of time zones."""
    ten = to_ms(T0 + timedelta(minutes=10))
    assert keys(store, f"updated > {ten} ORDER BY key") == ["HELP-3"]
    assert keys(store, f"updated >= {ten} ORDER BY key") == ["HELP-2", "HELP-3"]
    assert keys(store, f"updated < {ten}") == ["HELP-1"]
    assert keys(store, f"updated <= {ten} ORDER BY key") == ["HELP-1", "HELP-2"]
    assert keys(store, f"updated = {ten}") == ["HELP-2"]
    assert keys(store, f"updated != {ten} ORDER BY key") == ["HELP-1", "HELP-3"]


def test_status_project_and_key_clauses(store: Store) -> None:
    """Names are case-insensitive; ids work too; != and NOT IN exclude."""
    assert keys(store, "status = done") == ["HELP-3"]
    assert keys(store, "status = 10003") == ["HELP-3"]
    assert keys(store, "status in ('To Do', Done) ORDER BY key") == ["HELP-1", "HELP-2",
                                                                    "HELP-3"]
    assert keys(store, "status != Done ORDER BY key") == ["HELP-1", "HELP-2"]
    assert keys(store, "status not in (Done) ORDER BY key") == ["HELP-1", "HELP-2"]
    assert keys(store, "project = help AND key = HELP-2") == ["HELP-2"]
    assert keys(store, "project in (10000) AND issuekey in (help-1, 10003) ORDER BY key") == [
        "HELP-1", "HELP-3"]
    assert keys(store, "id in (10001, 99999)") == ["HELP-1"]
    assert keys(store, "project = 'Help Desk' AND key != HELP-1 ORDER BY key") == [
        "HELP-2", "HELP-3"]


def test_boolean_structure(store: Store) -> None:
    """AND, OR, NOT and parentheses combine as JQL says."""
    assert keys(store, "key = HELP-1 OR status = Done ORDER BY key") == ["HELP-1", "HELP-3"]
    assert keys(store, "project = HELP AND NOT (key = HELP-1 OR status = Done)") == ["HELP-2"]
    assert keys(store, "(key = HELP-1 OR key = HELP-2) AND status = 'To Do' ORDER BY key") == [
        "HELP-1", "HELP-2"]


def test_ordering(store: Store) -> None:
    """ORDER BY fields and directions; no ORDER BY means key DESC."""
    assert keys(store, "project = HELP") == ["HELP-3", "HELP-2", "HELP-1"]
    assert keys(store, "project = HELP ORDER BY updated DESC") == ["HELP-3", "HELP-2", "HELP-1"]
    assert keys(store, "project = HELP ORDER BY status DESC, key ASC") == [
        "HELP-1", "HELP-2", "HELP-3"]
    assert keys(store, "project = HELP ORDER BY created ASC") == ["HELP-1", "HELP-2", "HELP-3"]


@pytest.mark.parametrize(("jql", "message"), [
    ("assignee = bob", "the Jira sandbox does not support searching by 'assignee'"),
    ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
    ("status > Done", "The operator '>' is not supported by the 'status' field."),
    ("updated ~ x", "The operator '~' is not supported by the 'updated' field."),
    ("status = Nope", "The value 'Nope' does not exist for the field 'status'."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("key = HELP-99", "An issue with key 'HELP-99' does not exist for field 'key'."),
    ("key = banana", "The issue key 'banana' for field 'key' is invalid."),
    ("updated > -1d", "does not support relative dates such as '-1d'"),
    ("updated > 'yesterday'", "Date value 'yesterday' for field 'updated' is invalid."),
    ("updated > now()", "does not support JQL functions such as 'now()'"),
    ("project = HELP ORDER BY summary", "Not able to sort using field 'summary'."),
])
def test_unsupported_or_wrong_queries_are_refused(store: Store, jql: str, message: str) -> None:
    """Anything outside the supported subset fails loudly with a Jira-style message."""
    with pytest.raises(JqlError) as raised:
        compile_jql(store, jql, CHICAGO)
    assert message in str(raised.value)


def test_key_lookups_and_date_ranges_use_indexes() -> None:
    """`key`/`id` clauses and date ranges name their candidates without a scan of all issues."""
    sandbox = Sandbox("cloud", now=T0)
    sandbox.seed_issues(5000, start=T0 - timedelta(days=10), step=timedelta(minutes=1))
    store = sandbox.store
    plan = compile_jql(store, "project = HELP AND key in (HELP-7, HELP-4000)", CHICAGO).plan
    assert plan is not None
    assert sorted(plan.candidates(store) or []) == [10007, 14000]
    since = to_ms(T0 - timedelta(days=10) + timedelta(minutes=4990))
    plan = compile_jql(store, f"project = HELP AND updated >= {since}", CHICAGO).plan
    assert plan is not None
    assert len(plan.candidates(store) or []) == 10


@settings(max_examples=60, deadline=None)
@given(
    statuses=st.lists(st.sampled_from(["10001", "10002", "10003"]), min_size=1, max_size=25),
    minutes=st.lists(st.integers(0, 50), min_size=25, max_size=25),
    clauses=st.lists(st.sampled_from([
        "status = 'To Do'", "status != Done", "status in (Done, 10002)", "status not in (Done)",
        "key in (HELP-1, HELP-3)", "id in (10002, 10004)", "updated >= {m}", "updated < {m}",
        "created > {m}", "project = HELP"]), min_size=1, max_size=4),
    joiners=st.lists(st.sampled_from([" AND ", " OR ", " AND NOT "]), min_size=3, max_size=3),
    pivot=st.integers(0, 50),
)
def test_indexed_evaluation_equals_a_full_scan(statuses: list[str], minutes: list[int],
                                               clauses: list[str], joiners: list[str],
                                               pivot: int) -> None:
    """Whatever candidates the indexes propose, the result is exactly the brute-force filter."""
    sandbox = Sandbox("cloud", now=T0)
    store = sandbox.store
    sandbox.seed_issues(len(statuses), start=T0, step=timedelta(0))
    for issue, status, minute in zip(store.issues.values(), statuses, minutes, strict=False):
        store.set_status(issue, status)
        store.touch(issue, to_ms(T0) + minute * 60_000)
    moment = to_ms(T0) + pivot * 60_000
    jql = clauses[0].format(m=moment)
    for joiner, clause in zip(joiners, clauses[1:], strict=False):
        jql += joiner + clause.format(m=moment)
    try:
        compiled = compile_jql(store, jql, CHICAGO)
    except JqlError:
        return  # e.g. HELP-3 does not exist in a small store; Jira refuses that too
    assert compiled.plan is not None
    expected = sorted(i.id for i in store.issues.values() if compiled.plan.matches(i))
    assert sorted(evaluate(store, compiled)) == expected


def test_labels_clauses_match_as_jira_does(store: Store) -> None:
    """`labels = x` and `in` match any label, ignoring case; `!=` and `not in` match only
    issues that have labels (Jira leaves unlabelled issues out); IS [NOT] EMPTY."""
    with_labels = {"HELP-1": ["tf-mail-abc123", "vip"], "HELP-2": ["Other"]}
    for issue in store.issues.values():
        issue.labels = with_labels.get(issue.key, [])
    assert keys(store, "labels = tf-mail-abc123") == ["HELP-1"]
    assert keys(store, 'project = HELP AND labels = "TF-MAIL-ABC123"') == ["HELP-1"]
    assert keys(store, "labels in (other, vip) ORDER BY key") == ["HELP-1", "HELP-2"]
    assert keys(store, "labels != vip") == ["HELP-2"]
    assert keys(store, "labels not in (vip, other)") == []
    assert keys(store, "labels is EMPTY") == ["HELP-3"]
    assert keys(store, "labels is not EMPTY ORDER BY key") == ["HELP-1", "HELP-2"]
    assert keys(store, "labels = nothing-has-this") == []


def test_labels_refuse_operators_jira_refuses(store: Store) -> None:
    """Comparison operators are a 400 for labels, as in Jira."""
    with pytest.raises(JqlError, match="operator '>' is not supported"):
        keys(store, "labels > a")
