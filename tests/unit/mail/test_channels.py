"""Notices through each channel, over a FakeTracker and a real state file: the tracker's own
notification, email threaded with the customer's mail, webhook, public comment; refusals and
blocked templates are recorded in the ledger with their reason and send nothing."""

from __future__ import annotations

import email
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import responses

from connector.app import build
from connector.clock import SettableClock
from connector.config.loader import Config, load_config
from connector.settings import Settings
from connector.state.base import Transaction
from connector.state.sqlite import SqliteStateStore
from connector.tracker.fake import FakeTracker
from connector.tracker.values import NewTicket, Person, WorkflowFields
from connector.web.tokens import read_token, signing_key

ROOT = Path(__file__).resolve().parents[3]
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
ALICE = Person("acc-alice", "alice@example.edu", "Alice")
BOB = Person("acc-bob", "bob@example.edu", "Bob Engineer")
HOOK = "https://hooks.slack.example/services/T/B/secret"


@dataclass
class Rig:
    config: Config
    clock: SettableClock
    tracker: FakeTracker
    settings: Settings

    def cycle(self, minutes: int = 5) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        service = build(self.config, self.settings, clock=self.clock, tracker=self.tracker)
        try:
            service.cycle.run()
        finally:
            service.close()

    def new_ticket(self, customer: str = "pat.doe@uni.example.edu") -> str:
        with self.tracker.acting_as(ALICE):
            return self.tracker.create(NewTicket("Cannot log in", "",
                                                 WorkflowFields(customer=customer)))

    def mails(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for p in sorted(self.settings.outbox_dir.glob("*.eml"))]

    def effects(self, key: str) -> dict[str, tuple[str, str]]:
        store = SqliteStateStore(self.settings.state_db)
        try:
            return {f"{e.rule} {e.action}": (e.status, e.detail) for e in store.effects_for(key)}
        finally:
            store.close()

    def assign_by_hand(self, key: str) -> None:
        with self.tracker.acting_as(ALICE):
            self.tracker.update(key, WorkflowFields(status="Reviewing"))
            self.tracker.update(key, WorkflowFields(assignee=BOB, status="Assigned"))


def _rig(tmp_path: Path, notifications: str = "", *, webhook: str | None = None,
         feedback: str = "") -> Rig:
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    rules = (tmp_path / "rules.yaml").read_text()
    if notifications:
        rules = rules.replace("  assignee: {via: email}\n  customer: {via: email}\n",
                              notifications)
    if feedback:
        rules = rules.replace("feedback:\n  expires_after: 30 days\n", feedback)
    (tmp_path / "rules.yaml").write_text(rules)
    config = load_config(tmp_path)
    clock = SettableClock(MONDAY)
    tracker = FakeTracker.from_config(config, clock=clock, people=[ALICE, BOB])
    settings = Settings(state_db=tmp_path / "state.db", outbox_dir=tmp_path / "outbox",
                        jira_url="https://jira.example.edu", webhook_url=webhook,
                        _env_file=None)  # type: ignore[call-arg]
    rig = Rig(config, clock, tracker, settings)
    rig.cycle(0)  # first run: backfill
    return rig


def test_email_threads_with_the_customers_mail(tmp_path: Path) -> None:
    """The acknowledgement of a mailed request answers it: In-Reply-To the original,
    `auto-replied`; the next message references both and is `auto-generated`."""
    rig = _rig(tmp_path)
    key = rig.new_ticket()
    store = SqliteStateStore(rig.settings.state_db)
    store.commit(Transaction(message_ids=[("<orig.1@uni.example.edu>", key, "in")]))
    store.close()
    rig.cycle()
    rig.assign_by_hand(key)
    rig.cycle()
    ack, assigned, update = _by_subject(rig.mails())
    assert ack["In-Reply-To"] == "<orig.1@uni.example.edu>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Reply-To"] == "redcap_helpdesk@example.edu"
    assert update["Auto-Submitted"] == "auto-generated"
    assert update["In-Reply-To"] == "<orig.1@uni.example.edu>"
    refs = update["References"].split()
    assert refs[:2] == ["<orig.1@uni.example.edu>", f"<ticket.{key}@example.edu>"]
    assert ack["Message-ID"] in refs
    assert assigned["To"] == "bob@example.edu"


def test_message_ids_are_keyed_recorded_and_differ_between_installations(
        tmp_path: Path) -> None:
    """Each sent Message-ID is the one recorded for the ticket (threading reads it there) and
    in its outbox row; it is not the unkeyed hash of the effect a stranger could compute,
    and two installations with the same tickets and rules send different ids."""
    import hashlib

    ids = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        rig = _rig(folder)
        key = rig.new_ticket()
        rig.cycle()
        (ack,) = rig.mails()
        store = SqliteStateStore(rig.settings.state_db)
        (row,) = store.outbox(["sent"])
        assert store.message_ids_for(key, "out") == [ack["Message-ID"]]
        assert f"Message-ID: {ack['Message-ID']}".encode() in row.message
        store.close()
        unkeyed = hashlib.sha256(row.effect_key.encode()).hexdigest()
        assert ack["Message-ID"][4:28] != unkeyed[:24]
        ids.append(ack["Message-ID"])
    assert ids[0] != ids[1]


def _by_subject(mails: list[email.message.EmailMessage]) -> tuple[
        email.message.EmailMessage, email.message.EmailMessage, email.message.EmailMessage]:
    def one(part: str) -> email.message.EmailMessage:
        (found,) = [m for m in mails if part in str(m["Subject"])]
        return found
    return one("We received"), one("Assigned to you"), one("Update on your request")


def test_jira_notify_is_the_default_for_engineers(tmp_path: Path) -> None:
    """Without `assignee: {via: ...}` the engineer's notice goes through the tracker's own
    notification (Jira's notify), to the tracker's user, with the ticket's tag in the
    subject; the customer still gets mail."""
    rig = _rig(tmp_path, "  customer: {via: email}\n")
    key = rig.new_ticket()
    rig.cycle()
    rig.assign_by_hand(key)
    rig.cycle()
    (notice,) = rig.tracker.notifications
    assert notice.key == key and notice.subject.startswith(f"[{key}] Assigned to you")
    assert [p.ref for p in notice.people] == ["acc-bob"]
    assert "Bob Engineer" in notice.text_body
    assert sorted(str(m["Subject"]).split("] ")[1].split(":")[0] for m in rig.mails()) == [
        "Update on your request", "We received your request"]


@responses.activate
def test_webhook_posts_are_queued_and_delivered(tmp_path: Path) -> None:
    """`via: webhook` queues one JSON post per notice in the outbox and delivers it to the
    URL from TICKETFLOW_WEBHOOK_URL."""
    responses.post(HOOK, status=200)
    rig = _rig(tmp_path, "  assignee: {via: webhook}\n", webhook=HOOK)
    key = rig.new_ticket()
    rig.cycle()
    rig.assign_by_hand(key)
    rig.cycle()
    (call,) = responses.calls
    body = json.loads(call.request.body)  # type: ignore[arg-type]
    assert body["text"].startswith(f"*[{key}] Assigned to you")
    assert "For acc-bob" in body["text"] or "For bob@example.edu" in body["text"]


def test_webhook_without_its_url_is_a_configuration_error(tmp_path: Path) -> None:
    """`via: webhook` with no TICKETFLOW_WEBHOOK_URL stops at start-up, saying which."""
    from connector.errors import ConfigError

    with pytest.raises(ConfigError, match="TICKETFLOW_WEBHOOK_URL"):
        _rig(tmp_path, "  assignee: {via: webhook}\n")


@pytest.mark.parametrize("word", ["public_comment", "jsm_comment"])
def test_customer_notices_as_public_comments(tmp_path: Path, word: str) -> None:
    """`customer: {via: public_comment}` (or its older word `jsm_comment`) comments publicly:
    the tracker mails the customer; nothing goes through the outbox."""
    rig = _rig(tmp_path, f"  assignee: {{via: email}}\n  customer: {{via: {word}}}\n")
    key = rig.new_ticket()
    rig.cycle()
    comments = rig.tracker.comments(key)
    assert [c.public for c in comments] == [True]
    assert "Your request has been received" in comments[0].body
    assert rig.mails() == []


def test_no_automatic_mail_to_a_noreply_customer(tmp_path: Path) -> None:
    """A ticket from `noreply@...` gets no acknowledgement: the ledger row is skipped with the
    reason, nothing is queued."""
    rig = _rig(tmp_path)
    key = rig.new_ticket(customer="noreply@alerts.example.org")
    rig.cycle()
    status, detail = rig.effects(key)["acknowledge 0:notify"]
    assert status == "skipped" and "no-auto-reply" in detail
    assert rig.mails() == []


def test_a_header_injection_in_the_customer_field_sends_nothing(tmp_path: Path) -> None:
    """A customer field with CR/LF cannot add a Bcc: nothing is queued, the reason is kept."""
    rig = _rig(tmp_path)
    key = rig.new_ticket(customer="pat@uni.example.edu\r\nBcc: victim@example.org")
    rig.cycle()
    status, detail = rig.effects(key)["acknowledge 0:notify"]
    assert status == "skipped" and "line break" in detail
    assert rig.mails() == []


def test_a_template_the_sandbox_blocks_fails_closed(tmp_path: Path) -> None:
    """A template edited after validation to reach `__class__`: the message is not sent, the
    ledger row waits (blocked) saying the sandbox blocked it, the other actions still run;
    once the template is fixed, the next cycle sends the message."""
    rig = _rig(tmp_path)
    template = tmp_path / "rules" / "templates" / "request_submitted.txt.j2"
    good = template.read_text()
    template.write_text("Subject: [{{ ticket.key }}] hi\n\n{{ ticket.__class__.__mro__ }}\n")
    key = rig.new_ticket()
    rig.cycle()
    effects = rig.effects(key)
    status, detail = effects["acknowledge 0:notify"]
    assert status == "blocked" and "blocked by the sandbox, not sent" in detail
    assert effects["acknowledge 1:categorize"][0] == "done"
    assert rig.mails() == []
    template.write_text(good)
    rig.cycle()
    assert rig.effects(key)["acknowledge 0:notify"][0] == "done"
    assert [str(m["Subject"]) for m in rig.mails()] == [
        f"[{key}] We received your request: Cannot log in"]


def _complete(rig: Rig, key: str) -> None:
    with rig.tracker.acting_as(BOB):
        rig.tracker.update(key, WorkflowFields(status="Reviewing"))
        rig.tracker.update(key, WorkflowFields(status="Complete"))


def test_survey_link_to_the_built_in_page(tmp_path: Path) -> None:
    """The survey carries a signed link to /feedback/<token> for this ticket's resolution,
    valid for `expires_after`."""
    rig = _rig(tmp_path)
    key = rig.new_ticket()
    rig.cycle()
    _complete(rig, key)
    rig.cycle()
    rig.cycle(70)  # the survey waits an hour
    (survey,) = [m for m in rig.mails() if "How did we do" in str(m["Subject"])]
    text = survey.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = next(line for line in text.splitlines() if "/feedback/" in line).strip()
    assert link.startswith("http://127.0.0.1:8787/feedback/")
    store = SqliteStateStore(rig.settings.state_db)
    ref = read_token(signing_key(rig.settings, store), link.rsplit("/", 1)[1],
                     now=rig.clock.now())
    store.close()
    assert (ref.issue_key, ref.resolution) == (key, 1)
    assert ref.expires > rig.clock.now() + timedelta(days=29)


def test_survey_link_to_an_external_form(tmp_path: Path) -> None:
    """`feedback.form_url` is filled with the ticket key (URL-quoted)."""
    rig = _rig(tmp_path, feedback='feedback:\n  form_url: '
               '"https://redcap.example.edu/surveys/?s=XYZ&ticket={ticket}"\n')
    key = rig.new_ticket()
    rig.cycle()
    _complete(rig, key)
    rig.cycle()
    rig.cycle(70)  # the survey waits an hour
    (survey,) = [m for m in rig.mails() if "How did we do" in str(m["Subject"])]
    text = survey.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"https://redcap.example.edu/surveys/?s=XYZ&ticket={key}" in text
