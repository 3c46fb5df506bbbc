"""The composition root: settings and config in, the wired service out. Nothing else wires."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from connector.actions.runtime import Runtime
from connector.clock import Clock
from connector.config.loader import Config
from connector.engine.calendar import BusinessCalendar
from connector.errors import ConfigError, UsageError
from connector.http.retry import Retrier
from connector.mail.base import Mailer
from connector.mail.intake.base import Mailbox
from connector.mail.intake.imap import ImapMailbox, ImapTarget
from connector.mail.intake.ingest import Ingest
from connector.mail.intake.maildir import MaildirMailbox
from connector.mail.intake.rules import IntakeRules
from connector.mail.outbox import PASS_BUDGET_SECONDS, OutboxDirMailer, Router, deliver, pass_budget
from connector.mail.smtp import SmtpMailer, SmtpTarget
from connector.mail.suppress import DeliveryGuard, GuardState
from connector.mail.webhook import WebhookMailer
from connector.report.figures import Link, no_link
from connector.settings import Settings
from connector.state.fence import Fence, stall_limit
from connector.state.intake import IntakeStore
from connector.state.lease import Lease
from connector.state.location import dry_run_state, exists, open_reader
from connector.state.location import open_state as open_location
from connector.state.sql import Database
from connector.state.store import SqlStateStore
from connector.state.url import describe
from connector.sync.cycle import Cycle
from connector.sync.derive import Vocabulary
from connector.sync.leader import Leader
from connector.sync.ownership import Ownership, StateWatch
from connector.sync.perform import Reporter
from connector.sync.poll import Poller, Progress
from connector.tracker.base import (
    Notes,
    SupportsClaim,
    SupportsInstall,
    SupportsOnlineCheck,
    SupportsWebhookRegistration,
    TicketRefs,
    Tracker,
)
from connector.tracker.dryrun import RecordingTracker
from connector.tracker.jira import tracker as jira
from connector.tracker.zendesk import tracker as zendesk
from connector.web.feedback import FeedbackEndpoint, link_builder
from connector.web.registration import registration

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackerKind:
    """One kind of tracker mappings.yaml's `tracker:` may name: how to reach it."""

    name: str                                     # "Jira", for people
    variable: str                                 # the setting with its address
    site: Callable[[Settings], str | None]        # that address: names it in the state
    open: Callable[[Config, Settings, Notes | None, Retrier | None], Tracker]
    describe: Callable[[Tracker, Settings], str]  # for the service's first log line
    # Its tickets' references without connecting (the report's links); None: address unset.
    refs: Callable[[Config, Settings], TicketRefs | None]


def _open_jira(config: Config, settings: Settings, notes: Notes | None,
               retrier: Retrier | None) -> Tracker:
    return jira.open_tracker(config, settings, notes=notes, retrier=retrier)


def _open_zendesk(config: Config, settings: Settings, notes: Notes | None,
                  retrier: Retrier | None) -> Tracker:
    return zendesk.open_tracker(config, settings, notes=notes, retrier=retrier)


# mappings.yaml `tracker:` -> its adapter.
TRACKERS: dict[str, TrackerKind] = {
    "jira": TrackerKind("Jira", "TICKETFLOW_JIRA_URL", lambda s: s.jira_url, _open_jira,
                        jira.describe, jira.offline_refs),
    "zendesk": TrackerKind("Zendesk", "TICKETFLOW_ZENDESK_URL", lambda s: s.zendesk_url,
                           _open_zendesk, zendesk.describe, zendesk.offline_refs),
}
PLANNED: dict[str, str] = {}  # trackers mappings.yaml may name whose adapter is to come


def tracker_kind(config: Config) -> TrackerKind:
    """The adapter mappings.yaml's `tracker:` names."""
    name = config.mappings.tracker
    if name in TRACKERS:
        return TRACKERS[name]
    raise ConfigError([f"mappings.yaml: tracker: {name}: the {PLANNED.get(name, name)} adapter "
                       f"is not installed yet in this ticketflow; expected one of: "
                       f"{', '.join(sorted(TRACKERS))}"])


@dataclass
class Service:
    """Everything one cycle needs, wired."""

    config: Config
    settings: Settings
    tracker: Tracker
    store: SqlStateStore
    runtime: Runtime
    cycle: Cycle
    site: str = ""  # the tracker's address: what the state keys what it learnt of it by
    ownership: Ownership | None = None  # the claim on the tracker (None: a dry run)
    # A dry run's scratch state is removed with this (a temporary file, or schema).
    discard: Callable[[], None] | None = None

    def close(self) -> None:
        self.store.close()
        if self.discard is not None:
            self.discard()


def vocabulary(config: Config, me: str) -> Vocabulary:
    """Which workflow statuses are done; who ticketflow is."""
    return Vocabulary(config.rules.workflow.done_statuses, me)


def mail_from(config: Config, settings: Settings) -> str:
    return settings.mail_from or config.mappings.mailbox.address


def build(config: Config, settings: Settings, *, clock: Clock, dry_run: bool = False,
          report: Reporter | None = None, progress: Progress | None = None,
          tracker: Tracker | None = None, retrier: Retrier | None = None,
          stop: threading.Event | None = None, new_state: bool = False,
          fence: Fence | None = None) -> Service:
    """Wire the service. With dry_run, writes go nowhere: the tracker records them, the state
    is a scratch copy, and nothing is delivered. `stop` (the service's) ends a delivery pass
    between two messages. `new_state` accepts an empty state file. With a `fence` (a replica
    under the lease), every connection the service writes through is fenced."""
    discard: Callable[[], None] | None = None
    if dry_run:
        store, discard = dry_run_state(settings.state_db, new_state=new_state)
    else:
        store = open_location(settings.state_db, new_state=new_state)
    if fence is not None:
        install_fence(fence, store, settings)
    if tracker is None:
        tracker = connect_tracker(config, settings, retrier=retrier, store=store)
    if dry_run:
        tracker = RecordingTracker(tracker)
    me = tracker.myself().ref
    calendar = BusinessCalendar.from_config(config.rules.calendar)
    runtime = Runtime(tracker=tracker, store=store, config=config, calendar=calendar,
                      mail_from=mail_from(config, settings),
                      feedback_link=link_builder(config, settings, store, clock))
    intake = IntakeStore(store.db)
    poller = Poller(tracker=tracker, store=store, config=config,
                    vocabulary=vocabulary(config, me),
                    max_actions_per_hour=config.rules.limits.max_actions_per_issue_per_hour,
                    progress=progress, mail_comments=intake.comment_sides,
                    mail_tickets=intake.created_tickets)
    deliverer: Callable[[datetime], object] | None = None
    ingest: Callable[[datetime], object] | None = None
    # A state file is watched for being deleted or replaced; a PostgreSQL state has none.
    state_path = settings.state_db
    watch = (StateWatch(state_path) if not dry_run and isinstance(state_path, Path)
             and state_path.exists() else None)
    if not dry_run:
        mailer = mailer_for(config, settings)
        sender = mail_from(config, settings)

        def deliverer(now: datetime) -> object:
            # A connection of its own: `run` delivers on a thread of its own, and a
            # connection belongs to the thread that opened it. Not on a state file deleted
            # under the service: that would start a new one.
            if watch is not None:
                watch.check()
            own = open_location(settings.state_db)
            if fence is not None:
                install_fence(fence, own, settings)
            try:
                return deliver(own, mailer, sender=sender, now=now,
                               guard=delivery_guard(config, settings, own),
                               stop_when=pass_budget(PASS_BUDGET_SECONDS, stop))
            finally:
                own.close()

        # Mail intake writes to the tracker, so a dry run leaves the mailbox alone.
        ingest = mail_intake(config, settings, tracker=tracker, store=store,
                             calendar=calendar)

    kind = TRACKERS.get(config.mappings.tracker, TRACKERS["jira"])
    ownership = None
    if not dry_run and isinstance(tracker, SupportsClaim):
        ownership = Ownership(tracker, store, clock, state_path=describe(state_path),
                              where=f"{kind.name} project {config.mappings.project}",
                              state=watch)
    cycle = Cycle(poller=poller, store=store, runtime=runtime, clock=clock, report=report,
                  ingest=ingest, deliver=deliverer,
                  guard=ownership.check if ownership else None)
    return Service(config, settings, tracker, store, runtime, cycle,
                   kind.site(settings) or "", ownership, discard)


def install_fence(fence: Fence, store: SqlStateStore, settings: Settings) -> None:
    """Fence the store's writes by the lease's token, on either engine."""
    store.fence(fence, stall_limit=stall_limit(timedelta(seconds=settings.lease_seconds)))


def replica_leader(settings: Settings, fence: Fence, *, clock: Clock) -> Leader:
    """This process's side of the state's leader lease (`run` and `once`), on the wall clock
    all replicas share (never `--now`'s), lasting TICKETFLOW_LEASE_SECONDS."""
    period = timedelta(seconds=settings.lease_seconds)
    return Leader(Lease(settings.state_db, clock=clock, period=period), fence)


def connect_tracker(config: Config, settings: Settings, *, retrier: Retrier | None = None,
                    store: Notes | None = None) -> Tracker:
    """The tracker mappings.yaml names, as a Tracker. The one place that connects: commands
    and the service get their tracker from here. With the state, the adapter keeps what it
    learns of its tracker there (so a cron-driven cycle need not ask again)."""
    return tracker_kind(config).open(config, settings, store, retrier)


def ticket_links(config: Config, settings: Settings) -> Link:
    """Where the report links each ticket: the tracker's web page for it, from the adapter's
    references (no connection made). No links while the tracker's address is unset, or for a
    tracker whose adapter is not installed (the report still reads the state file)."""
    kind = TRACKERS.get(config.mappings.tracker)
    refs = kind.refs(config, settings) if kind is not None else None
    return refs.web_url if refs is not None else no_link


def online_check(config: Config, settings: Settings) -> str:
    """`validate --online`: mappings.yaml against the tracker; the line to print."""
    tracker = connect_tracker(config, settings)
    if not isinstance(tracker, SupportsOnlineCheck):
        raise UsageError(f"{tracker_kind(config).name} cannot be checked online yet")
    return tracker.check_config(config)


def installer(config: Config, settings: Settings) -> SupportsInstall:
    """`install-scheme`: the tracker, as one the workflow can be installed into."""
    tracker = connect_tracker(config, settings)
    if not isinstance(tracker, SupportsInstall):
        raise UsageError(f"ticketflow cannot install the workflow into "
                         f"{tracker_kind(config).name} yet")
    return tracker


def register_webhook(config: Config, settings: Settings, tracker: object, *, dry_run: bool,
                     echo: Callable[[str], None] = print) -> None:
    """`install-scheme`: the webhook to `run`'s /hooks/, when TICKETFLOW_PUBLIC_URL says
    where and TICKETFLOW_WEBHOOK_SECRET how it is signed (Zendesk makes its own secret, so
    there the URL is enough); else nothing is said."""
    if not settings.public_url:
        return
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    hook = registration(config.mappings.tracker, public_url=settings.public_url,
                        projects=list(config.mappings.projects), secret=secret)
    if secret is None and not hook.makes_secret:
        return
    if isinstance(tracker, SupportsWebhookRegistration):
        tracker.register_webhook(hook, dry_run=dry_run, echo=echo)
        return
    echo(f"! webhook: register it by hand: {'; '.join(hook.by_hand)}")


def open_state(settings: Settings) -> SqlStateStore:
    """The state, for the commands that look at it beside a running service."""
    return open_location(settings.state_db)


def state_reader(settings: Settings) -> Callable[[], Database | None]:
    """Read-only connections to the state (None while there is none), for /metrics."""
    return lambda: open_reader(settings.state_db) if exists(settings.state_db) else None


def feedback_endpoint(config: Callable[[], Config], settings: Settings,
                      clock: Clock) -> FeedbackEndpoint:
    """The `/feedback/` form of `ticketflow run`: its own tracker client and state connection,
    since it answers on the web server's threads; `config` gives the configuration running
    now (a hot reload switches it)."""
    return FeedbackEndpoint(config=config, settings=settings, clock=clock,
                            connect=lambda current: connect_tracker(current, settings),
                            open_store=lambda: open_state(settings))


def mailer_for(config: Config, settings: Settings) -> Mailer:
    """SMTP when TICKETFLOW_SMTP_URL is set, else the outbox folder; webhook posts beside."""
    mail: Mailer = OutboxDirMailer(settings.outbox_dir)
    if settings.smtp_url:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        mail = SmtpMailer(SmtpTarget.parse(settings.smtp_url), password=password)
    hook = settings.webhook_url.get_secret_value() if settings.webhook_url else None
    if config.rules.notifications.assignee.via == "webhook" and not hook:
        raise ConfigError(["environment: TICKETFLOW_WEBHOOK_URL: not set; expected the Slack "
                           "or Teams incoming-webhook URL (rules.yaml notifications.assignee."
                           "via is webhook)"])
    return Router(mail, WebhookMailer(hook) if hook else None)


def delivery_guard(config: Config, settings: Settings, store: GuardState) -> DeliveryGuard:
    """Suppressions, the no-auto-reply list and the per-recipient flood limit."""
    notes = config.rules.notifications
    window = timedelta(minutes=notes.rate_limit.per.minutes,
                       days=notes.rate_limit.per.business_days)
    return DeliveryGuard(store, limit=notes.rate_limit.per_recipient, window=window,
                         own=(mail_from(config, settings), *config.mappings.addresses),
                         extra=notes.no_auto_reply, staff=config.mappings.staff)


def mail_intake(config: Config, settings: Settings, *, tracker: Tracker,
                store: SqlStateStore, calendar: BusinessCalendar) -> Ingest | None:
    """Mail intake from TICKETFLOW_IMAP_URL, else TICKETFLOW_MAILDIR; None when neither is set.
    The mailbox is opened anew each pass, so a dropped connection costs one pass at most."""
    opener = mailbox_opener(config, settings, store)
    if opener is None:
        return None
    rules = IntakeRules.from_config(config, mail_from=mail_from(config, settings))
    return Ingest(tracker=tracker, store=store, rules=rules, calendar=calendar,
                  open_mailbox=opener)


def mailbox_opener(config: Config, settings: Settings,
                   store: SqlStateStore) -> Callable[[], Mailbox] | None:
    """How to open the helpdesk mailbox (IMAP, else a Maildir); None when neither is set."""
    box = config.mappings.mailbox
    opener: Callable[[], Mailbox]
    if settings.imap_url:
        target = ImapTarget.parse(settings.imap_url)  # a bad URL stops start-up, not a pass

        def opener() -> Mailbox:
            password, token = settings.imap_password, settings.imap_oauth2_token
            return ImapMailbox(
                target, book=IntakeStore(store.db), max_size=box.max_message_size,
                password=password.get_secret_value() if password else None,
                oauth2_token=token.get_secret_value() if token else None,
                processed=settings.imap_processed_folder,
                quarantine=settings.imap_quarantine_folder)
    elif settings.maildir is not None:
        maildir = settings.maildir

        def opener() -> Mailbox:
            return MaildirMailbox(maildir, max_size=box.max_message_size,
                                  processed=settings.imap_processed_folder,
                                  quarantine=settings.imap_quarantine_folder)
    else:
        return None
    return opener


def require_tracker_settings(config: Config, settings: Settings) -> None:
    """Say plainly which settings are missing before any connection is tried."""
    kind = tracker_kind(config)
    if not kind.site(settings):
        raise ConfigError([f"environment: {kind.variable}: not set; expected the {kind.name} "
                           "base URL (or run `ticketflow demo` to try ticketflow on a local "
                           "sandbox)"])


def describe_tracker(service: Service) -> str:
    """The tracker in the service's first log line (Jira: its URL and flavor)."""
    return tracker_kind(service.config).describe(service.tracker, service.settings)
