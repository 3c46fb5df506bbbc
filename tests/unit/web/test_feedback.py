"""The feedback page as a plain WSGI app: the form, one stored answer per resolution written
back to the ticket, updates instead of duplicates, and 403/410 for bad or old links."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.errors import RetriableError
from connector.settings import Settings
from connector.state.feedback import answer_for
from connector.state.sqlite import SqliteStateStore
from connector.tracker.fake import FakeTracker
from connector.tracker.values import NewTicket, Person
from connector.web.feedback import make_feedback_app, write_back_pending
from connector.web.tokens import FeedbackRef, make_token

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
SECRET = "feedback-test-secret"
ALICE = Person("acc-alice", "alice@example.edu", "Alice")


class Client:
    """Calls the WSGI app in-process, as a server would."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, dict[str, str], str]:
        body = urlencode(form or {}).encode()
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
                   "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
                   "CONTENT_TYPE": "application/x-www-form-urlencoded"}
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            seen["status"], seen["headers"] = int(status.split(maxsplit=1)[0]), dict(headers)

        page = b"".join(self.app(environ, start_response)).decode()
        return seen["status"], seen["headers"], page


@pytest.fixture
def config(shipped_config: Path) -> Config:
    return load_config(shipped_config)


@pytest.fixture
def world(config: Config, tmp_path: Path) -> tuple[Client, FakeTracker, SqliteStateStore,
                                                     SettableClock, str]:
    clock = SettableClock(NOW)
    tracker = FakeTracker.from_config(config, clock=clock, people=[ALICE])
    with tracker.acting_as(ALICE):
        key = tracker.create(NewTicket("Help", ""))
    store = SqliteStateStore(tmp_path / "state.db")
    settings = Settings(feedback_secret=SECRET, _env_file=None)  # type: ignore[call-arg]
    app = make_feedback_app(store=store, tracker=tracker, config=config, settings=settings,
                            clock=clock)
    return Client(app), tracker, store, clock, key


def _link(key: str, *, resolution: int = 1, days: int = 30) -> str:
    ref = FeedbackRef(key, resolution, NOW + timedelta(days=days))
    return "/feedback/" + make_token(SECRET.encode(), ref)


def test_the_form_is_accessible_and_locked_down(world: Any) -> None:
    """GET shows five labelled radio buttons and a comment box; the page allows no script,
    no framing, no caching and sends no Referer (the link is the credential)."""
    client, _, _, _, key = world
    status, headers, page = client.request("GET", _link(key))
    assert status == 200
    assert page.count('type="radio" name="score"') == 5 and "<legend>" in page
    assert '<label for="comment">' in page and key in page
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_an_answer_is_stored_and_written_back(world: Any) -> None:
    """POST stores the score and comment, sets the satisfaction field and adds one internal
    comment; the comment is escaped when the form shows it again."""
    client, tracker, store, _, key = world
    status, _, page = client.request("POST", _link(key), {"score": "4",
                                                          "comment": "Quick <b>fix</b>"})
    assert status == 200 and "recorded" in page
    answer = answer_for(store, key, 1)
    assert answer is not None and (answer.score, answer.comment) == (4, "Quick <b>fix</b>")
    assert answer.written_back
    assert tracker.ticket(key).satisfaction == 4
    (comment,) = tracker.comments(key)
    assert not comment.public and "4/5" in comment.body and "Quick <b>fix</b>" in comment.body
    _, _, again = client.request("GET", _link(key))
    assert "Quick &lt;b&gt;fix&lt;/b&gt;" in again and 'value="4" required\nchecked' in again


def test_a_second_answer_updates_rather_than_duplicates(world: Any) -> None:
    """A changed answer updates the row and the field and says "updated"; the very same
    answer again (a double click) changes nothing at all."""
    client, tracker, store, _, key = world
    client.request("POST", _link(key), {"score": "2", "comment": ""})
    client.request("POST", _link(key), {"score": "5", "comment": "Sorted now"})
    client.request("POST", _link(key), {"score": "5", "comment": "Sorted now"})
    answer = answer_for(store, key, 1)
    assert answer is not None and (answer.score, answer.answers) == (5, 2)
    assert tracker.ticket(key).satisfaction == 5
    first, second = tracker.comments(key)
    assert first.body.startswith("Customer feedback (resolution 1): 2/5")
    assert second.body == ("Customer feedback updated (resolution 1): 5/5 (was 2/5). "
                           "Comment: Sorted now")
    count = store.db.execute("SELECT count(*) FROM feedback").fetchone()[0]
    assert count == 1


def test_each_resolution_has_its_own_answer(world: Any) -> None:
    """After a reopen and a second resolution, the new link's answer is a new row."""
    client, _, store, _, key = world
    client.request("POST", _link(key, resolution=1), {"score": "3"})
    client.request("POST", _link(key, resolution=2), {"score": "5"})
    assert [answer_for(store, key, n).score for n in (1, 2)] == [3, 5]  # type: ignore[union-attr]


@pytest.mark.parametrize("score", ["", "0", "6", "five", "4.5"])
def test_a_missing_or_bad_score_asks_again(world: Any, score: str) -> None:
    """Only 1 to 5 is stored; anything else shows the form again with a 400."""
    client, _, store, _, key = world
    status, _, page = client.request("POST", _link(key), {"score": score})
    assert status == 400 and "choose a score" in page
    assert answer_for(store, key, 1) is None


def test_tampered_and_expired_links(world: Any) -> None:
    """A forged token is 403, an expired one 410, other paths 404; nothing is stored."""
    client, _, store, clock, key = world
    good = _link(key)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    assert client.request("GET", forged)[0] == 403
    assert client.request("POST", forged, {"score": "1"})[0] == 403
    clock.set(NOW + timedelta(days=31))
    assert client.request("GET", good)[0] == 410
    assert client.request("POST", good, {"score": "1"})[0] == 410
    assert client.request("GET", "/feedback/")[0] == 404
    assert client.request("GET", "/feedback/a/b")[0] == 404
    assert client.request("PUT", _link(key, days=60))[0] == 405
    assert answer_for(store, key, 1) is None


def test_a_tracker_failure_keeps_the_answer_for_later(world: Any) -> None:
    """The tracker down while answering: the customer still gets thanks, the answer is kept
    unwritten, and write_back_pending delivers it later, once."""
    client, tracker, store, _, key = world
    original = tracker.add_comment

    def down(*args: Any, **kwargs: Any) -> Any:
        raise RetriableError("Jira answered 503")

    tracker.add_comment = down  # type: ignore[method-assign]
    status, _, _ = client.request("POST", _link(key), {"score": "3"})
    assert status == 200
    assert not answer_for(store, key, 1).written_back  # type: ignore[union-attr]
    tracker.add_comment = original  # type: ignore[method-assign]
    config = load_config(Path(__file__).resolve().parents[3])
    assert write_back_pending(store, tracker, config) == 1
    assert write_back_pending(store, tracker, config) == 0
    assert len(tracker.comments(key)) == 1


def test_only_changes_are_written_back(world: Any) -> None:
    """A new comment with the same score leaves the satisfaction field alone and says only
    what changed; an answer changed while Jira was down, then changed back to what Jira
    already holds, owes Jira nothing."""
    client, tracker, store, _, key = world
    writes: list[str] = []
    jira = {"up": True}
    update, add_comment = tracker.update, tracker.add_comment

    def field(*args: Any, **kwargs: Any) -> Any:
        if not jira["up"]:
            raise RetriableError("Jira answered 503")
        writes.append(args[0])
        return update(*args, **kwargs)

    def comment(*args: Any, **kwargs: Any) -> Any:
        if not jira["up"]:
            raise RetriableError("Jira answered 503")
        return add_comment(*args, **kwargs)

    tracker.update, tracker.add_comment = field, comment  # type: ignore[method-assign]
    client.request("POST", _link(key), {"score": "4", "comment": "ok"})
    client.request("POST", _link(key), {"score": "4", "comment": "ok, and quick"})
    assert writes == [key]  # the score did not change: one field write
    assert tracker.comments(key)[-1].body == (
        "Customer feedback updated (resolution 1): 4/5 (score unchanged). Comment: ok, and quick")
    jira["up"] = False
    client.request("POST", _link(key), {"score": "2", "comment": "ok, and quick"})
    client.request("POST", _link(key), {"score": "4", "comment": "ok, and quick"})
    jira["up"] = True
    config = load_config(Path(__file__).resolve().parents[3])
    assert write_back_pending(store, tracker, config) == 0
    assert answer_for(store, key, 1).written_back  # type: ignore[union-attr]
    assert len(tracker.comments(key)) == 2 and writes == [key]


def test_a_write_back_cut_between_field_and_comment_is_finished_later(world: Any) -> None:
    """Jira takes the new score but fails the comment: the next try adds the comment only
    (the field is not written twice), and it still says what the score was before."""
    client, tracker, store, _, key = world
    client.request("POST", _link(key), {"score": "2"})
    add_comment = tracker.add_comment

    def down(*args: Any, **kwargs: Any) -> Any:
        raise RetriableError("Jira answered 503")

    tracker.add_comment = down  # type: ignore[method-assign]
    client.request("POST", _link(key), {"score": "5"})
    assert tracker.ticket(key).satisfaction == 5
    tracker.add_comment = add_comment  # type: ignore[method-assign]
    tracker.update = down  # type: ignore[method-assign]
    config = load_config(Path(__file__).resolve().parents[3])
    assert write_back_pending(store, tracker, config) == 1
    assert tracker.comments(key)[-1].body == ("Customer feedback updated (resolution 1): 5/5 "
                                              "(was 2/5).")


def test_answers_from_one_link_are_rate_limited(world: Any) -> None:
    """300 POSTs from one link (a script, a stuck browser) make at most 5 answers an hour:
    the rest get 429 with Retry-After and a page that says when to try again, and reach
    neither the state nor the tracker; an hour later the link works again. The form says
    how often an answer may change."""
    client, tracker, store, clock, key = world
    _, _, form = client.request("GET", _link(key))
    assert "up to 5 times an hour" in form
    statuses = []
    for n in range(300):
        status, headers, page = client.request("POST", _link(key),
                                               {"score": str(n % 5 + 1), "comment": str(n)})
        statuses.append(status)
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    assert 3000 < int(headers["Retry-After"]) <= 3601
    assert "Your last answer is recorded" in page and "60 minutes" in page
    assert len(tracker.comments(key)) == 5
    assert answer_for(store, key, 1).answers == 5  # type: ignore[union-attr]
    assert client.request("POST", _link(key, resolution=2), {"score": "3"})[0] == 200
    clock.advance(timedelta(hours=1, seconds=1))
    assert client.request("POST", _link(key), {"score": "1"})[0] == 200
