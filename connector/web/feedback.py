"""The built-in feedback page: `GET /feedback/<token>` shows a form, `POST` stores the answer
and writes it back to the ticket (the satisfaction field and an internal comment)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment

from connector.clock import Clock
from connector.config.loader import Config
from connector.domain import Ticket
from connector.errors import TicketflowError
from connector.settings import Settings
from connector.state.base import StateStore
from connector.state.feedback import (
    Answer,
    HasDatabase,
    admit_post,
    answer_for,
    mark_written,
    record,
    remember_written,
    unwritten,
    written,
)
from connector.tracker.base import Tracker
from connector.tracker.values import WorkflowFields
from connector.web.tokens import (
    FeedbackRef,
    TokenExpiredError,
    make_token,
    read_token,
    signing_key,
)

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
WSGIApplication = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
MAX_BODY = 16_384
MAX_COMMENT = 2_000
PREFIX = "/feedback/"
# Answers one link may send: a customer changing their mind is a few; a script is not.
ANSWERS_PER_WINDOW, ANSWER_WINDOW = 5, timedelta(hours=1)
# The token in the URL is the credential: never sent on as a Referer, never cached, and the
# page can load nothing from anywhere (no script at all).
_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
]
_PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;
line-height:1.5}fieldset{border:1px solid #888;padding:1rem}label{margin-right:1rem}
textarea{width:100%}button{margin-top:1rem;padding:.5rem 1.5rem}</style></head>
<body><main><h1>{{ title }}</h1>{% if message %}<p role="status">{{ message }}</p>{% endif %}
{% if form %}<form method="post" action="">
<fieldset><legend>How satisfied are you with how we handled {{ key }}?
(1 = very unsatisfied, 5 = very satisfied)</legend>
{% for n in range(1, 6) %}<label><input type="radio" name="score" value="{{ n }}" required
{% if n == score %}checked{% endif %}> {{ n }}</label>{% endfor %}</fieldset>
<p><label for="comment">Anything you would like to add? (optional)</label><br>
<textarea id="comment" name="comment" rows="5" maxlength="{{ max_comment }}">{{ comment }}
</textarea></p><button type="submit">Send</button>
<p><small>You can change your answer up to {{ limit }} times an hour.</small></p>
</form>{% endif %}</main></body></html>
""")


def _page(start_response: StartResponse, status: str, *,
          headers: tuple[tuple[str, str], ...] = (), **values: Any) -> list[bytes]:
    values = {"message": "", "form": False, "key": "", "score": None, "comment": "",
              "max_comment": MAX_COMMENT, "limit": ANSWERS_PER_WINDOW, **values}
    start_response(status, [*_HEADERS, *headers])
    return [_PAGE.render(**values).encode()]


class FeedbackApp:
    """The WSGI application; see make_feedback_app."""

    def __init__(self, *, store: StateStore, tracker: Tracker, config: Config,
                 settings: Settings, clock: Clock) -> None:
        if not isinstance(store, HasDatabase):
            raise TypeError("feedback needs a state store with its own tables (SQLite)")
        self.store = store
        self.tracker = tracker
        self.clock = clock
        self.key = signing_key(settings, store)
        self.has_field = config.mappings.keeps_satisfaction

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        token = path.removeprefix(PREFIX) if path.startswith(PREFIX) else ""
        if not token or "/" in token:
            return _page(start_response, "404 Not Found", title="Not found")
        try:
            ref = read_token(self.key, token, now=self.clock.now())
        except TokenExpiredError:
            return _page(start_response, "410 Gone", title="This link has expired",
                         message="Thank you all the same. If you need more help, reply to "
                         "any of our messages.")
        except TicketflowError:
            return _page(start_response, "403 Forbidden", title="This link is not valid",
                         message="Please use the link exactly as it came in our message.")
        if method == "GET":
            return self._form(start_response, ref)
        if method == "POST":
            return self._answer(environ, start_response, ref)
        start_response("405 Method Not Allowed", [("Allow", "GET, POST")])
        return [b""]

    def _form(self, start_response: StartResponse, ref: FeedbackRef, *,
              problem: str = "") -> list[bytes]:
        before = answer_for(self.store, ref.issue_key, ref.resolution)
        message = problem or ("You answered already; sending again updates your answer."
                              if before else "")
        return _page(start_response, "400 Bad Request" if problem else "200 OK",
                     title="How did we do?", form=True, key=ref.issue_key, message=message,
                     score=before.score if before else None,
                     comment=before.comment if before else "")

    def _answer(self, environ: dict[str, Any], start_response: StartResponse,
                ref: FeedbackRef) -> list[bytes]:
        now = self.clock.now()
        wait_until = admit_post(self.store, ref.issue_key, ref.resolution, now=now,
                                limit=ANSWERS_PER_WINDOW, window=ANSWER_WINDOW)
        if wait_until is not None:
            return _too_many(start_response, ref, seconds=(wait_until - now).total_seconds())
        try:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        score_text = form.get("score", "")
        if score_text not in {"1", "2", "3", "4", "5"}:
            return self._form(start_response, ref, problem="Please choose a score from 1 to 5.")
        comment = form.get("comment", "").strip()[:MAX_COMMENT]
        answer, changed = record(self.store, ref.issue_key, ref.resolution,
                                 score=int(score_text), comment=comment, at=now)
        if changed:
            write_back(self.store, self.tracker, answer, has_field=self.has_field)
        return _page(start_response, "200 OK", title="Thank you",
                     message=f"Your feedback on {ref.issue_key} is recorded"
                     f"{' (updated)' if answer.answers > 1 else ''}. Thank you for helping "
                     "us improve.")


def _too_many(start_response: StartResponse, ref: FeedbackRef, *,
              seconds: float) -> list[bytes]:
    """429: this link sent its answers for the hour; the last one stands."""
    minutes = max(1, int(seconds + 59) // 60)
    log.warning("feedback for %s: over %d answers an hour from one link; refused",
                ref.issue_key, ANSWERS_PER_WINDOW, extra={"ticket": ref.issue_key})
    return _page(start_response, "429 Too Many Requests", title="Please wait a little",
                 headers=(("Retry-After", str(int(seconds) + 1)),),
                 message=f"This link has sent {ANSWERS_PER_WINDOW} answers within the hour, "
                 f"the most it takes. Your last answer is recorded; you can change it again "
                 f"in {minutes} minute{'s' if minutes != 1 else ''}.")


def write_back(store: HasDatabase, tracker: Tracker, answer: Answer, *,
               has_field: bool) -> bool:
    """What changed since the tracker last heard: the score into the satisfaction field (when
    it changed), an internal comment saying what changed; nothing when nothing did. A
    tracker failure leaves the answer unwritten; `write_back_pending` tries again later."""
    key, resolution = answer.issue_key, answer.resolution
    held = written(store, key, resolution)
    note = _change_note(held.told, answer)
    try:
        if has_field and held.field != answer.score:
            tracker.update(key, WorkflowFields(satisfaction=answer.score))
            held = replace(held, field=answer.score)
            remember_written(store, key, resolution, held)
        if note:
            tracker.add_comment(key, note, public=False)
            remember_written(store, key, resolution, replace(held, told=(answer.score,
                                                                         answer.comment)))
    except TicketflowError as error:
        log.warning("feedback for %s not written back yet: %s", key, error,
                    extra={"ticket": key})
        return False
    mark_written(store, answer)
    log.info("feedback recorded", extra={"ticket": key, "score": answer.score})
    return True


def _change_note(before: tuple[int, str] | None, answer: Answer) -> str:
    """The internal comment: the whole answer the first time, then only what changed."""
    said = f" Comment: {answer.comment}" if answer.comment else " No comment."
    if before is None:
        return f"Customer feedback (resolution {answer.resolution}): {answer.score}/5.{said}"
    if (before[0], before[1]) == (answer.score, answer.comment):
        return ""
    was = f"was {before[0]}/5" if before[0] != answer.score else "score unchanged"
    said = "" if before[1] == answer.comment else said if answer.comment else " Comment removed."
    return (f"Customer feedback updated (resolution {answer.resolution}): {answer.score}/5 "
            f"({was}).{said}")


def make_feedback_app(*, store: StateStore, tracker: Tracker, config: Config,
                      settings: Settings, clock: Clock) -> WSGIApplication:
    """The WSGI app `ticketflow run` mounts at /feedback/ (it sees the full path)."""
    return FeedbackApp(store=store, tracker=tracker, config=config, settings=settings,
                       clock=clock)


def link_builder(config: Config, settings: Settings, store: StateStore,
                 clock: Clock) -> Callable[[Ticket], str]:
    """`feedback.link` for templates: the rules.yaml form URL filled in, or a signed link to
    the built-in page (`TICKETFLOW_PUBLIC_URL`, default where `run` listens)."""
    feedback = config.rules.feedback
    if feedback.form_url is not None:
        form_url = feedback.form_url

        def form_link(ticket: Ticket) -> str:
            return (form_url.replace("{ticket}", quote(ticket.key, safe=""))
                    .replace("{resolution}", str(ticket.resolutions)))
        return form_link
    base = (settings.public_url or f"http://{settings.http_host}:{settings.http_port}")
    lifetime = feedback.expires_after

    def own_link(ticket: Ticket) -> str:
        now: datetime = clock.now()
        # A link's lifetime is wall time: "30 business days" reads as six weeks.
        expires = now + timedelta(minutes=lifetime.minutes, days=lifetime.business_days * 7 / 5)
        token = make_token(signing_key(settings, store),
                           FeedbackRef(ticket.key, ticket.resolutions, expires))
        return f"{base.rstrip('/')}{PREFIX}{token}"
    return own_link


def write_back_pending(store: HasDatabase, tracker: Tracker, config: Config) -> int:
    """Write back answers a tracker failure left behind; how many made it this time."""
    has_field = config.mappings.keeps_satisfaction
    return sum(write_back(store, tracker, answer, has_field=has_field)
               for answer in unwritten(store))


class FeedbackEndpoint:
    """The feedback form behind `/feedback/`, safe for the server's request threads.

    SQLite connections belong to the thread that opened them, so each request opens the state
    anew (`open_store`); requests take turns (a form, not a hot path) on one tracker client of
    their own, made on first use (`connect`). Each request answers with the configuration
    running now (`config`: `run` switches to an edited one on SIGHUP or between cycles); the
    tracker client speaks one configuration's words (its fields, its projects), so it is made
    again for the first request after a switch.
    """

    def __init__(self, *, config: Callable[[], Config], settings: Settings, clock: Clock,
                 connect: Callable[[Config], Tracker], open_store: Callable[[], StateStore]
                 ) -> None:
        self.config, self.settings, self.clock = config, settings, clock
        self.connect, self.open_store = connect, open_store
        self.lock = threading.Lock()
        self.tracker: Tracker | None = None
        self._tracker_config: Config | None = None  # what `tracker` was made for

    def _tracker_for(self, config: Config) -> Tracker:
        # A switch makes a new Config object (the reloader only switches to a changed one).
        if self.tracker is None or self._tracker_config is not config:
            self.tracker = self.connect(config)
            self._tracker_config = config
        return self.tracker

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        with self.lock:
            config = self.config()
            tracker = self._tracker_for(config)
            store = self.open_store()
            try:
                app = make_feedback_app(store=store, tracker=tracker, config=config,
                                        settings=self.settings, clock=self.clock)
                return list(app(environ, start_response))
            finally:
                store.close()
