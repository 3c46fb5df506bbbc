"""`JiraClient`: the Tracker protocol over the `jira` library (the only module that imports it)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from connector.errors import (
    AuthError,
    ConfigError,
    ForbiddenError,
    RetriableError,
    TrackerError,
)
from connector.http.retry import HttpStatusError, Retrier, UnreachableError
from connector.settings import Settings
from connector.tracker.jira import paging
from connector.tracker.jira.adf import escape_wiki, text_to_adf
from connector.tracker.jira.admin import JiraAdmin
from connector.tracker.jira.changes import ChangeFeed, Projects, open_jql, project_jql, quoted
from connector.tracker.jira.convert import (
    a_list,
    an_object,
    reading,
    to_comment,
    to_issue,
    to_user,
)
from connector.tracker.jira.http import JIRA_REMOTE, JiraHttp, unreachable
from connector.tracker.jira.permissions import AccountCheckedHttp
from connector.tracker.jira.records import Change, Comment, Flavor, Issue, User
from connector.tracker.jira.transitions import TransitionCache, options
from connector.tracker.transitions import choose
from connector.tracker.values import Attachment

log = logging.getLogger(__name__)

T = TypeVar("T")
# The Done statuses a search leaves out: one list for every project, or each project's.
DoneStatuses = Sequence[str] | Mapping[str, Sequence[str]]
TIMEOUT = (10.0, 60.0)  # connect, read: a hung Jira must not hang a cycle


class JiraClient:
    """Jira Cloud (REST v3, ADF, account ids) or Data Center (REST v2, wiki, user names)."""

    def __init__(
        self, client: JIRA, *, flavor: Flavor, retrier: Retrier, custom_fields: Sequence[str] = (),
        answered: bool = False, auth_note: str = "",
    ) -> None:
        self.flavor: Flavor = flavor
        self._client = client
        self._custom_fields = list(custom_fields)
        self._http = AccountCheckedHttp(
            base_url=client.server_url,
            api_version=_version(flavor),
            transport=_transport(client),
            retrier=retrier,
            answered=answered,
            auth_note=auth_note,
        )
        self._transitions = TransitionCache()
        self._feed = ChangeFeed(self._http, flavor=flavor, custom_fields=custom_fields)
        self._me: User | None = None
        self.admin = JiraAdmin(self._http, flavor=flavor)

    @property
    def http(self) -> JiraHttp:
        """The retrying raw REST access (for the installer and online checks)."""
        return self._http

    # -- reading ---------------------------------------------------------------------------

    def search_changed(
        self, project: Projects, *, since: datetime, page_size: int = 100,
        unchanged: Callable[[list[Issue]], Collection[str]] | None = None,
    ) -> Iterator[list[Issue]]:
        """Issues updated since an instant; those `unchanged` names get no changelog read
        ahead (see `ChangeFeed.search`)."""
        # Epoch milliseconds: the bound means the same instant whatever the account's zone.
        millis = int(since.timestamp() * 1000)
        jql = f"{project_jql(project)} AND updated >= {millis} ORDER BY updated ASC, key ASC"
        return self._feed.search(jql, page_size=page_size, unchanged=unchanged)

    def search_open(
        self, project: Projects, *, done_statuses: DoneStatuses, page_size: int = 100
    ) -> Iterator[list[Issue]]:
        jql = open_jql(project, done_statuses) + " ORDER BY created ASC, key ASC"
        return self._feed.search(jql, page_size=page_size)

    def count(self, project: Projects, *, done_statuses: DoneStatuses) -> int:
        return self._feed.count(open_jql(project, done_statuses))

    def changelogs(self, issue_ids: Sequence[str]) -> dict[str, list[Change]]:
        return self._feed.changelogs(issue_ids)

    def comments(self, key: str) -> list[Comment]:
        found: list[Comment] = []
        while True:
            page = an_object(self._http.get(
                f"issue/{key}/comment",
                params={"startAt": len(found), "maxResults": 100, "expand": "properties"},
            ), f"comments of {key}")
            values = a_list(page.get("comments"), f"comments of {key}")
            found += [to_comment(c, issue_key=key) for c in values]
            with reading(f"comments of {key}"):
                total = int(page.get("total", 0))
            if not values or len(found) >= total:
                return found

    def get_issue(self, key: str) -> Issue:
        raw = self._http.get(f"issue/{key}", params={"fields": ",".join(self._feed.fields)})
        return to_issue(raw, custom_fields=self._custom_fields)

    def myself(self) -> User:
        if self._me is None:
            self._me = to_user(an_object(self._http.get("myself"), "myself"))
        if self._me is None:
            raise TrackerError("Jira did not say who the API user is (GET myself)")
        return self._me

    def server_time(self) -> datetime:
        """`serverInfo.serverTime`: Jira's clock, the one that stamps `updated`."""
        info = self._http.get("serverInfo")
        stamp = info.get("serverTime") if isinstance(info, dict) else None
        try:
            when = datetime.fromisoformat(str(stamp))
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise RetriableError(f"GET serverInfo: Jira sent no usable serverTime ({stamp!r})")
        return when

    def find_user(self, query: str, *, assignable_in: str | None = None) -> User | None:
        """Exactly the user `query` names (e-mail, user name or account id), or None. With
        `assignable_in`, only one who may be assigned that project's issues (the plain user
        search only where this Jira has no assignable-user search)."""
        found = self.search_users(query, assignable_in=assignable_in) if assignable_in else None
        if found is None:
            found = self.search_users(query) or []
        return to_user(exact_user(found, query, flavor=self.flavor))

    def search_users(self, query: str, *,
                     assignable_in: str | None = None) -> list[Mapping[str, Any]] | None:
        """Jira's user search, or with `assignable_in` its assignable-user search for that
        project (None when this Jira does not offer it: 404 or 405)."""
        params = {"query": query} if self.flavor == "cloud" else {"username": query}
        path = "user/search"
        if assignable_in is not None:
            path, params = "user/assignable/search", {**params, "project": assignable_in}
        try:
            answer = self._http.get(path, params=params)
        except TrackerError as error:
            if assignable_in is None or error.status not in (404, 405):
                raise
            log.warning("Jira has no assignable-user search (HTTP %s); looking users up with "
                        "the plain user search", error.status)
            return None
        return [an_object(u, "user search") for u in a_list(answer, "user search")]

    def get_property(self, key: str, name: str) -> Any:
        """An issue property's value, or None when it has none by that name."""
        return self._property(f"issue/{key}/properties/{name}", f"property {name} of {key}")

    def project_property(self, project: str, name: str) -> Any:
        """A project property's value, or None when it has none by that name."""
        return self._property(f"project/{project}/properties/{name}",
                              f"property {name} of project {project}")

    def set_project_property(self, project: str, name: str, value: Any) -> None:
        """Set a project property (Jira asks for the project's administer permission)."""
        self._http.put(f"project/{project}/properties/{name}", value)

    def _property(self, path: str, what: str) -> Any:
        try:
            return an_object(self._http.get(path), what).get("value")
        except TrackerError as error:
            if error.status == 404:
                return None
            raise

    def find_by_label(self, project: Projects, label: str) -> Issue | None:
        # A plain search, not the change feed: no changelogs are wanted here.
        jql = f"{project_jql(project)} AND labels = {quoted(label)} ORDER BY created ASC"
        fields = self._feed.fields
        if self.flavor == "cloud":
            pages = paging.cloud_search(self._http, jql, fields=fields, page_size=1)
        else:
            pages = paging.server_search(self._http, jql, fields=fields, page_size=1)
        for page in pages:
            return to_issue(page[0], custom_fields=self._custom_fields)
        return None

    # -- writing ---------------------------------------------------------------------------

    def create_issue(
        self,
        project: str,
        *,
        issue_type: str,
        summary: str,
        description: str,
        fields: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an issue; returns its key (nothing more is read: the caller has what it
        wrote)."""
        values = {
            "project": {"key": project},
            "issuetype": {"name": issue_type},
            "summary": summary,
            "description": self._rich(description),
            **(fields or {}),
        }
        body: dict[str, Any] = {"fields": values}
        if properties:  # set with the issue, atomically (not by a second request)
            body["properties"] = [{"key": k, "value": v} for k, v in properties.items()]
        created = an_object(self._http.post("issue", body), "created issue")
        with reading("created issue"):
            return str(created["key"])

    def transition_to(self, key: str, status: str, *, from_status: str | None = None,
                      restart: bool = True) -> None:
        """Move `key` to `status`; `from_status` (if the caller knows it) saves one request.
        Already in `status`: its transition to itself is taken when there is one and
        `restart` is set, else nothing happens."""
        project = key.rsplit("-", 1)[0]
        cached = self._transitions.lookup(project, from_status, status) if from_status else None
        if cached is not None and from_status is not None:
            try:
                self._post_transition(key, cached)
            except TrackerError as error:
                if error.status != 400:
                    raise
                self._transitions.forget(project, from_status)  # stale status, other workflow
            else:
                return
        raw = self._http.get(f"issue/{key}", params={"fields": "status", "expand": "transitions"})
        with reading(f"transitions of {key}"):
            current = str(raw["fields"]["status"]["name"])
            found = options(raw.get("transitions") or [])
        self._transitions.learn(project, current, found)
        if current.lower() == status.lower() and not (restart and any(
            o.to.lower() == status.lower() for o in found
        )):
            log.info("%s is already in %s", key, status)
            return
        self._post_transition(key, choose(key, current, status, found).id)

    def _post_transition(self, key: str, transition_id: str) -> None:
        self._library(
            lambda: self._client.transition_issue(key, transition_id),
            what=f"transition {key}",
            idempotent=False,
        )

    def add_comment(self, key: str, body: str, *, internal: bool) -> Comment:
        payload: dict[str, Any] = {"body": self._rich(body)}
        if internal:  # JSM's marker, as the jira library's add_comment(is_internal=True) sends
            payload["properties"] = [{"key": "sd.public.comment", "value": {"internal": True}}]
        raw = self._http.post(f"issue/{key}/comment", payload)
        return to_comment(raw, issue_key=key)

    def link_issues(self, inward: str, outward: str, *, link_type: str = "Relates") -> None:
        body = {"type": {"name": link_type}, "inwardIssue": {"key": inward},
                "outwardIssue": {"key": outward}}
        self._http.post("issueLink", body)

    def assign(self, key: str, user: User | None) -> None:
        if self.flavor == "cloud":
            body = {"accountId": user.account_id if user else None}
        else:
            body = {"name": (user.name or user.ref) if user else None}
        self._http.put(f"issue/{key}/assignee", body)

    def update_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        if fields:
            self._http.put(f"issue/{key}", {"fields": dict(fields)})

    def attach(self, key: str, attachment: Attachment) -> None:
        def upload() -> None:
            stream = io.BytesIO(attachment.content)
            self._client.add_attachment(key, stream, filename=attachment.filename)

        self._library(upload, what=f"attach {attachment.filename} to {key}", idempotent=False)

    def notify(
        self,
        key: str,
        *,
        subject: str,
        text_body: str,
        html_body: str | None,
        users: Sequence[User],
    ) -> None:
        ident = "accountId" if self.flavor == "cloud" else "name"
        body: dict[str, Any] = {
            "subject": subject,
            "textBody": text_body,
            "to": {"users": [{ident: u.ref} for u in users]},
        }
        if html_body is not None:
            body["htmlBody"] = html_body
        self._http.post(f"issue/{key}/notify", body)

    # -- helpers ---------------------------------------------------------------------------

    def _rich(self, text: str) -> Any:
        return text_to_adf(text) if self.flavor == "cloud" else escape_wiki(text)

    def _library(self, operation: Callable[[], T], *, what: str, idempotent: bool) -> T:
        return self._http.call(_unwrapped(operation), what=what, idempotent=idempotent)


def exact_user(found: Sequence[Mapping[str, Any]], wanted: str, *,
               flavor: Flavor) -> Mapping[str, Any] | None:
    """The user of a search's answers that `wanted` names exactly, or None: Jira's search also
    answers near misses, and tickets would then go to whoever came back. Cloud may hide a
    user's e-mail: a single answer without one is taken as the user asked for."""
    key = wanted.lower()
    for raw in found:
        names = {str(raw.get(k) or "").lower() for k in ("emailAddress", "name", "accountId")}
        if key in names or (len(found) == 1 and not raw.get("emailAddress")
                            and flavor == "cloud"):
            return raw
    return None


def _version(flavor: Flavor) -> str:
    return "3" if flavor == "cloud" else "2"


def _unwrapped(operation: Callable[[], T]) -> Callable[[], T]:
    """A library call whose JIRAError becomes HttpStatusError, for the retry layer to classify."""

    def run() -> T:
        try:
            return operation()
        except JIRAError as error:
            if error.response is not None:
                raise HttpStatusError(error.response) from None
            # Not str(error): JIRAError's text includes the request headers, with credentials.
            raise TrackerError(f"jira library: {error.text}") from None

    return run


def _transport(client: JIRA) -> Callable[..., requests.Response]:
    session = client._session

    def send(method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return session.request(method, url, **kwargs)
        except JIRAError as error:
            if error.response is None:
                raise TrackerError(f"jira library: {error.text}") from None
            return error.response

    return send


def connect(
    settings: Settings, *, custom_fields: Sequence[str] = (), retrier: Retrier | None = None,
    known_flavor: Flavor | None = None, answered: bool = False,
) -> JiraClient:
    """A JiraClient for the configured Jira; the flavor comes from serverInfo unless set or
    `known_flavor` (detected on an earlier run) is given. `answered`: this Jira answered an
    earlier run, so a failing connection is retried rather than reported at once."""
    url, email, token = _credentials(settings)
    retrier = retrier or Retrier()
    flavor: Flavor
    note = ""
    if settings.jira_flavor != "auto":
        flavor = settings.jira_flavor
        note = _flavor_note(flavor, "TICKETFLOW_JIRA_FLAVOR is set to")
    elif known_flavor is not None:
        flavor = known_flavor
        note = _flavor_note(flavor, "the state file remembers an earlier run's flavor,")
    else:
        flavor = detect_flavor(url, retrier=retrier)
    if flavor == "cloud" and not email:
        raise ConfigError(
            [
                "environment: TICKETFLOW_JIRA_EMAIL: not set; Jira Cloud needs the "
                "account e-mail that goes with the API token"
            ]
        )
    # max_retries=0: the library never retries or sleeps by itself; retry.py is the one layer.
    client = JIRA(
        server=url,
        options={"rest_api_version": _version(flavor)},
        basic_auth=(email, token) if flavor == "cloud" and email else None,
        token_auth=None if flavor == "cloud" else token,
        get_server_info=False,
        max_retries=0,
        timeout=TIMEOUT,
    )
    if flavor == "cloud":
        client.deploymentType = "Cloud"  # what get_server_info would have set
    return JiraClient(client, flavor=flavor, retrier=retrier, custom_fields=custom_fields,
                       answered=answered, auth_note=note)


def _flavor_note(flavor: Flavor, source: str) -> str:
    """Cloud takes the e-mail and API token as basic auth, Data Center the token as a bearer
    token: the wrong flavor sends the right secret the wrong way, and Jira answers 401."""
    other = "datacenter" if flavor == "cloud" else "cloud"
    return (f"{source} {flavor}: if this Jira is {other}, the credentials are sent the wrong "
            f"way; set TICKETFLOW_JIRA_FLAVOR to {other}, or to auto to detect it")


def detect_flavor(url: str, *, retrier: Retrier) -> Flavor:
    """`cloud` when serverInfo says deploymentType Cloud, else `datacenter` (anonymous call).
    This is the first request to a Jira not met before: one that cannot be reached fails at
    once."""
    probe = JIRA(server=url, get_server_info=False, max_retries=0, timeout=TIMEOUT)
    try:
        info = retrier.call(_unwrapped(probe.server_info), what="GET /rest/api/2/serverInfo",
                            first_contact=True, remote=JIRA_REMOTE)
    except UnreachableError as error:
        raise unreachable(url, error) from None
    except (AuthError, ForbiddenError):  # anonymous: a 403 here is about having no login
        raise ConfigError(
            [
                "environment: TICKETFLOW_JIRA_FLAVOR: auto, but Jira does not show serverInfo "
                "without credentials; expected cloud or datacenter"
            ]
        ) from None
    return "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"


def _credentials(settings: Settings) -> tuple[str, str | None, str]:
    problems = []
    if not settings.jira_url:
        problems.append(
            "environment: TICKETFLOW_JIRA_URL: not set; expected the Jira base URL, "
            "e.g. https://example.atlassian.net"
        )
    if settings.jira_token is None or not settings.jira_token.get_secret_value():
        problems.append(
            "environment: TICKETFLOW_JIRA_TOKEN: not set; expected a Cloud API "
            "token or a Data Center personal access token"
        )
    if problems or settings.jira_url is None or settings.jira_token is None:
        raise ConfigError(problems)
    return settings.jira_url, settings.jira_email, settings.jira_token.get_secret_value()
