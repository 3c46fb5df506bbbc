"""People per project: `JiraTracker.find_person` asks the assignable-user search of the
project whose tickets the person would be assigned, on both flavors (`responses`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses
from responses import matchers

from connector.config.trackers import FieldMap
from connector.tracker.jira.client import JiraClient
from connector.tracker.jira.fields import FieldCodec
from connector.tracker.jira.records import Flavor
from connector.tracker.jira.tracker import JiraTracker
from connector.tracker.jira.translate import JiraProjects, JiraVocabulary

Url = Callable[[Flavor, str], str]
Make = Callable[..., JiraClient]
CAROL = "carol@example.edu"


def _words(project: str, flavor: Flavor) -> JiraVocabulary:
    codec = FieldCodec(FieldMap.model_validate({
        "category": {"label_prefix": "cat-"}, "tier": {"custom_field": "customfield_10071"},
        "customer_email": {"custom_field": "customfield_10072"}}), categories=[])
    return JiraVocabulary(project, "Service Request", {"Pending": "To Do"}, frozenset(),
                          codec, flavor)


def _help_and_ops(client: JiraClient, flavor: Flavor) -> JiraTracker:
    return JiraTracker(client, JiraProjects((_words("HELP", flavor), _words("OPS", flavor))))


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_person_is_looked_up_in_the_project_named(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url, flavor: Flavor
) -> None:
    """Carol may be assigned OPS issues and not HELP ones: OPS's assignable-user search finds
    her, HELP's does not; without a project the default (HELP) is asked. Each lookup asks the
    `project` it names, at the flavor's path (Cloud v3 by `query`, Data Center v2 by
    `username`)."""
    who = "query" if flavor == "cloud" else "username"
    carol = ({"accountId": "acc-carol"} if flavor == "cloud" else {"name": "carol"})
    search = url(flavor, "user/assignable/search")
    mocked.get(search, match=[matchers.query_param_matcher({who: CAROL, "project": "OPS"})],
               json=[{**carol, "emailAddress": CAROL, "displayName": "Carol"}])
    mocked.get(search, match=[matchers.query_param_matcher({who: CAROL, "project": "HELP"})],
               json=[])
    tracker = _help_and_ops(make_tracker(flavor), flavor)

    found = tracker.find_person(CAROL, project="OPS")
    assert found is not None
    assert found.ref == ("acc-carol" if flavor == "cloud" else "carol")
    assert tracker.find_person(CAROL, project="HELP") is None
    assert tracker.find_person(CAROL) is None
    asked = [c.request.params["project"] for c in mocked.calls]
    assert asked == ["OPS", "HELP", "HELP"]
