"""A tracker that refuses one issue (403 for that issue, the account itself fine) fails that
issue's effects with the reason and the cycle goes on; refused credentials still stop it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from connector.errors import AuthError, ForbiddenError, TrackerError
from connector.tracker.fake import FakeTracker
from tests.unit.sync.conftest import LedgerRig

WRITES = ("update", "add_comment", "attach", "relate")


class Refuses:
    """The fake tracker, refusing every write to one issue with the given error."""

    def __init__(self, inner: FakeTracker, key: str, error: TrackerError) -> None:
        self.inner, self.key, self.error = inner, key, error

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if name not in WRITES:
            return target

        def refused(key: str, *args: Any, **kwargs: Any) -> Any:
            if key == self.key:
                raise self.error
            return target(key, *args, **kwargs)
        return refused


def test_a_forbidden_issue_fails_its_own_effect_and_the_rest_goes_on(
        make_rig: Callable[..., LedgerRig]) -> None:
    """HELP-1's categorize is refused (403, the account fine): that row fails with the
    tracker's reason; HELP-2 is categorized and both customers are acknowledged, in the
    same cycle."""
    rig = make_rig()
    first, second = rig.new_ticket("Locked out"), rig.new_ticket("Export fails")
    rig.advance(timedelta(minutes=5))
    forbidden = ForbiddenError("PUT /rest/api/3/issue/HELP-1: Jira answered HTTP 403: You do "
                               "not have permission to edit issues (the account may not do "
                               "this here)", status=403)
    rig.cycle(tracker=Refuses(rig.tracker, first, forbidden))
    row = rig.effects(first)["acknowledge 1:categorize"]
    assert row.status == "failed"
    assert "HTTP 403: You do not have permission to edit issues" in row.detail
    assert rig.effects(second)["acknowledge 1:categorize"].status == "done"
    assert rig.tracker.ticket(second).category == "Data export"
    assert len(rig.mails(first, "request_submitted")) == len(
        rig.mails(second, "request_submitted")) == 1


def test_refused_credentials_still_stop_the_cycle(make_rig: Callable[..., LedgerRig]) -> None:
    """An AuthError (a 401, or a 403 for the account itself) stops the job: nothing else would
    work, and the effect stays pending for the next run."""
    rig = make_rig()
    first = rig.new_ticket("Locked out")
    rig.advance(timedelta(minutes=5))
    refused = AuthError("Jira refused the credentials (HTTP 401)", status=401)
    with pytest.raises(AuthError):
        rig.cycle(tracker=Refuses(rig.tracker, first, refused))
    assert rig.effects(first)["acknowledge 1:categorize"].status == "pending"
