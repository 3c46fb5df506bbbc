"""The composition root: settings and config in, the wired service out. Nothing else wires."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from connector.actions.runtime import Runtime
from connector.clock import Clock
from connector.config.loader import Config
from connector.engine.calendar import BusinessCalendar
from connector.errors import ConfigError
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
from connector.settings import Settings
from connector.state.concerns import TrackerFacts
from connector.state.intake import IntakeStore
from connector.state.location import dry_run_state, open_state
from connector.state.store import SqlStateStore
from connector.sync.cycle import Cycle
from connector.sync.derive import Vocabulary
from connector.sync.perform import Reporter
from connector.sync.poll import Poller, Progress
from connector.tracker.base import Flavor, Tracker
from connector.tracker.dryrun import RecordingTracker
from connector.tracker.jira.client import JiraTracker, connect
from connector.tracker.jira.fields import FieldCodec
from connector.web.feedback import FeedbackEndpoint, link_builder


@dataclass
class Service:
    """Everything one cycle needs, wired."""

    config: Config
    settings: Settings
    tracker: Tracker
    store: SqlStateStore
    runtime: Runtime
    cycle: Cycle
    # A dry run's scratch state is removed with this (a temporary file, or schema).
    discard: Callable[[], None] | None = None

    def close(self) -> None:
        self.store.close()
        if self.discard is not None:
            self.discard()


def vocabulary(config: Config, me: str) -> Vocabulary:
    """Jira status names back to workflow names; which are Done; who ticketflow is."""
    statuses = config.mappings.statuses
    return Vocabulary({jira: ours for ours, jira in statuses.items()},
                      config.rules.workflow.done_statuses, me)


def mail_from(config: Config, settings: Settings) -> str:
    return settings.mail_from or config.mappings.mailbox.address


def build(config: Config, settings: Settings, *, clock: Clock, dry_run: bool = False,
          report: Reporter | None = None, progress: Progress | None = None,
          tracker: Tracker | None = None, retrier: Retrier | None = None,
          stop: threading.Event | None = None, new_state: bool = False) -> Service:
    """Wire the service. With dry_run, writes go nowhere: the tracker records them, the state
    is a scratch copy, and nothing is delivered. `stop` (the service's) ends a delivery pass
    between two messages. `new_state` accepts an empty state file."""
    codec = FieldCodec.for_config(config)
    discard: Callable[[], None] | None = None
    if dry_run:
        store, discard = dry_run_state(settings.state_db, new_state=new_state)
    else:
        store = open_state(settings.state_db, new_state=new_state)
    if tracker is None:
        tracker = connect_tracker(config, settings, retrier=retrier, store=store)
    me = identity(tracker, settings, store)
    if dry_run:
        tracker = RecordingTracker(tracker)
    calendar = BusinessCalendar.from_config(config.rules.calendar)
    runtime = Runtime(tracker=tracker, store=store, config=config, calendar=calendar,
                      codec=codec, jira_url=settings.jira_url or "", mail_from=mail_from(
                          config, settings),
                      feedback_link=link_builder(config, settings, store, clock))
    poller = Poller(tracker=tracker, store=store, config=config, codec=codec,
                    vocabulary=vocabulary(config, me),
                    max_actions_per_hour=config.rules.limits.max_actions_per_issue_per_hour,
                    progress=progress, mail_comments=IntakeStore(store.db).comment_sides)
    deliverer: Callable[[datetime], object] | None = None
    ingest: Callable[[datetime], object] | None = None
    if not dry_run:
        mailer = mailer_for(config, settings)
        sender = mail_from(config, settings)

        def deliverer(now: datetime) -> object:
            # A connection of its own: `run` delivers on a thread of its own, and a
            # connection belongs to the thread that opened it.
            own = open_state(settings.state_db)
            try:
                return deliver(own, mailer, sender=sender, now=now,
                               guard=delivery_guard(config, settings, own),
                               stop_when=pass_budget(PASS_BUDGET_SECONDS, stop))
            finally:
                own.close()

        # Mail intake writes to Jira, so a dry run leaves the mailbox alone.
        ingest = mail_intake(config, settings, tracker=tracker, store=store, codec=codec,
                             calendar=calendar)

    cycle = Cycle(poller=poller, store=store, runtime=runtime, clock=clock, report=report,
                  ingest=ingest, deliver=deliverer)
    return Service(config, settings, tracker, store, runtime, cycle, discard)


def connect_tracker(config: Config, settings: Settings, *, retrier: Retrier | None = None,
                    store: TrackerFacts | None = None) -> JiraTracker:
    """The tracker adapter, asking searches for the custom fields mappings.yaml names. The one
    place that connects: commands and the service get their tracker from here.

    With the state, what an earlier run learnt is used: the flavor it detected (so an idle
    cycle asks no serverInfo), and that this Jira answered before (so a connection failure is
    retried as an outage, not reported at once as a wrong URL). Only a detected flavor is
    remembered: an explicit TICKETFLOW_JIRA_FLAVOR may be wrong, and later runs must not
    inherit the mistake."""
    known = remembered_flavor(settings, store) if store is not None else None
    answered = known is not None or (store is not None and store.remembered_identity(
        settings.jira_url or "", settings.jira_email or "") is not None)
    tracker = connect(settings, custom_fields=FieldCodec.for_config(config).custom_field_ids(),
                      retrier=retrier, known_flavor=known, answered=answered)
    if store is not None and settings.jira_flavor == "auto" and known is None:
        store.remember_flavor(settings.jira_url or "", tracker.flavor)
    return tracker


def feedback_endpoint(config: Config, settings: Settings, clock: Clock) -> FeedbackEndpoint:
    """The `/feedback/` form of `ticketflow run`: its own tracker client and state connection,
    since it answers on the web server's threads."""
    return FeedbackEndpoint(config=config, settings=settings, clock=clock,
                            connect=lambda: connect_tracker(config, settings),
                            open_store=lambda: open_state(settings.state_db))


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
                         own=(mail_from(config, settings), config.mappings.mailbox.address),
                         extra=notes.no_auto_reply,
                         staff=[u for role in config.mappings.roles.values() for u in role.users])


def mail_intake(config: Config, settings: Settings, *, tracker: Tracker,
                store: SqlStateStore, codec: FieldCodec,
                calendar: BusinessCalendar) -> Ingest | None:
    """Mail intake from TICKETFLOW_IMAP_URL, else TICKETFLOW_MAILDIR; None when neither is set.
    The mailbox is opened anew each pass, so a dropped connection costs one pass at most."""
    opener = mailbox_opener(config, settings, store)
    if opener is None:
        return None
    rules = IntakeRules.from_config(config, mail_from=mail_from(config, settings))
    return Ingest(tracker=tracker, store=store, rules=rules, codec=codec, calendar=calendar,
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


def remembered_flavor(settings: Settings, store: TrackerFacts) -> Flavor | None:
    """With `auto`, the flavor detected by an earlier run, so a cron-driven `once` does not ask
    serverInfo every time (an idle cycle then costs one search request)."""
    known = store.remembered_flavor(settings.jira_url or "")
    if settings.jira_flavor == "auto" and known in ("cloud", "datacenter"):
        return cast("Flavor", known)
    return None


def identity(tracker: Tracker, settings: Settings, store: TrackerFacts) -> str:
    """ticketflow's own Jira user (its changes trigger no rules), asked once and remembered."""
    url, account = settings.jira_url or "", settings.jira_email or ""
    me = store.remembered_identity(url, account)
    if me is None:
        me = tracker.myself().ref
        store.remember_identity(url, account, me)
    return me


def require_tracker_settings(settings: Settings) -> None:
    """Say plainly which settings are missing before any connection is tried."""
    if not settings.jira_url:
        raise ConfigError(["environment: TICKETFLOW_JIRA_URL: not set; expected the Jira base "
                           "URL (or run `ticketflow demo` to try ticketflow on a local sandbox)"])
