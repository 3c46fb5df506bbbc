"""The CI-sized fault-equivalence run: a simulated week of about 200 tickets, clean and then
with 10% 429s, 2% 500s, 1% dropped connections and 5 SIGKILLs, ends in the same place, with
the same messages reading the same; and the same week with Jira down for minutes, the service
paused for an hour, and a second instance on another state file (bench/fault_situations.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _harness() -> object:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("fault_equivalence",
                                                  BENCH / "fault_equivalence.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_equivalence"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["jira-cloud", "jira-datacenter", "zendesk"])
def test_faults_and_kills_change_nothing(kind: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """On each tracker, with the same rules.yaml: the same final status, tier, category and
    assignee for every ticket; every (ticket, template, recipient) message exactly once in
    both runs and the same set, each with the same text (dates, links and ticket references
    normalised); one ticket per mail. Zendesk's clean week is also run on Jira Cloud: the
    same final status, tier, category and assignee of every ticket and the same messages
    to the same people reading the same. (Zendesk's feed shows an engineer's move a minute
    late, and its ticket ids sort otherwise as text: least_loaded picked other engineers for
    11 tickets while it counted the load when a cycle ran, not as of when the escalation
    fell due.) The counts are printed."""
    harness = _harness()
    other = "jira-cloud" if kind == "zendesk" else None
    problems, rows = harness.run(200, 5, 7, tmp_path, kind=kind,  # type: ignore[attr-defined]
                                 compare_with=other)
    with capsys.disabled():
        print("\n" + harness.table(rows))  # type: ignore[attr-defined]
    assert problems == []
    killed = next(row for row in rows if row[0].startswith("processes killed"))
    assert killed[2] == "5"
    compared = next(row for row in rows if row[0].startswith("tickets compared"))
    assert compared[1] == compared[2] == "200"
    texts = next(row for row in rows if row[0].startswith("message texts compared"))
    messages = next(row for row in rows if row[0].startswith("messages (ticket"))
    assert texts[1] == texts[2] == messages[1]
    if other:
        def row(name: str) -> list[str]:
            return next(r for r in rows if r[0].startswith(name))

        assert row("tickets with the same final status")[1:] == ["200", "200"]
        assert row("tickets with the same assignee")[1:] == ["200", "200"]
        shared = row("messages (ticket, template) sent on both")
        assert shared[1] == shared[2]
        assert row("messages on one tracker only")[1:] == ["0", "0"]
        assert row("messages to the same recipient reading the same")[1:] == shared[1:]


def _run(bodies: dict[tuple[str, str, str], str]) -> dict[str, Any]:
    return {"state": {}, "messages": Counter(dict.fromkeys(bodies, 1)), "bodies": bodies,
            "issues": 1, "requests": 1}


def test_the_comparison_reads_message_texts() -> None:
    """Two runs that sent the same (ticket, template, recipient) messages differ if one text
    differs beyond its dates and links; dates, links and ticket keys alone do not count."""
    from email import message_from_string, policy

    harness: Any = _harness()
    which = ("<req-1@x>", "escalated", "pat@x.edu")
    by_key = {"HELP-1": "<req-1@x>", "HELP-7": "<req-1@x>"}

    def text(body: str) -> str:
        mail = message_from_string(f"Subject: s\n\n{body}", policy=policy.default)
        return str(harness.normalised(mail, by_key))

    clean = _run({which: text("HELP-1 escalated to our Platform Engineer team, by Monday 30 "
                              "November, 13:05 CST: https://j.example/browse/HELP-1")})
    same = _run({which: text("HELP-7 escalated to our Platform Engineer team, by Tuesday 1 "
                             "December, 09:00 CST: https://j.example/browse/HELP-7")})
    fallback = _run({which: text("HELP-7 assigned to Bob, by Tuesday 1 December, 09:00 CST: "
                                 "https://j.example/browse/HELP-7")})
    assert harness.compare(clean, same) == []
    (problem,) = harness.compare(clean, fallback)
    assert problem.startswith("1 messages read differently")



def _situation(tmp_path: Path, tickets: int, kills: int,
               **situations: Any) -> dict[str, list[str]]:
    """The faulty run's rows by name, after checking the runs are equivalent and every
    ticket and message was compared."""
    harness: Any = _harness()
    played = sys.modules["fault_situations"].Situations(**situations)
    problems, rows = harness.run(tickets, kills, 11, tmp_path, situations=played)
    print("\n" + harness.table(rows))  # shown with -s, and when a check below fails
    assert problems == []
    named = {row[0]: row for row in rows}
    compared = named["tickets compared (status, tier, category, assignee)"]
    assert compared[1] == compared[2] == str(tickets)
    texts = named["message texts compared (dates and links normalised)"]
    assert texts[1] == texts[2] == named["messages (ticket, template, recipient)"][1]
    return named


@pytest.fixture(scope="module")
def situations_week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """One CI-sized week (30 tickets, random faults) played with all three situations, so CI
    pays for one pair of runs (about 40 s): Jira down for 20 minutes twice, two pauses, a
    second instance. The bench runs each alone (`--jira-outage-minutes`, `--pauses`,
    `--second-instance`) and the 200-ticket week with kills (`--quick`)."""
    return _situation(tmp_path_factory.mktemp("situations"), 30, 0,
                      outage_minutes=20, pauses=2, second_instance=True)


@pytest.mark.slow
def test_jira_down_for_twenty_minutes_changes_nothing(
        situations_week: dict[str, list[str]]) -> None:
    """Jira answering 503 for 20 simulated minutes on Tuesday, and refusing connections for 20
    on Wednesday, fails the cycles begun then, and the mail that arrived meanwhile waits: the
    week still ends as the clean one (no mail quarantined or lost: one ticket per mail; no
    message lost or doubled)."""
    assert situations_week["cycles begun in an outage / failed"][2] == "2 / 2"
    assert int(situations_week["mails arrived just before an outage's cycle (waited)"][2]) >= 1


@pytest.mark.slow
def test_a_service_paused_for_an_hour_changes_nothing(
        situations_week: dict[str, list[str]]) -> None:
    """A `ticketflow once` SIGSTOPped in the middle of its cycle and SIGCONTed a simulated hour
    later, twice: the cycles cron starts meanwhile find the state locked, and the week ends
    as the clean one."""
    assert situations_week["processes SIGSTOPped mid-cycle for a simulated hour"][2] == "2"
    assert situations_week["cycles meanwhile that found the state locked"][2] == "2"


@pytest.mark.slow
def test_a_second_instance_refuses_and_changes_nothing(
        situations_week: dict[str, list[str]]) -> None:
    """A second ticketflow with its own state file, against the same Jira, mailbox and
    outbox while mail waits, exits 3 naming the owner claim, and the week ends as the clean
    one: no ticket or message of its making."""
    assert situations_week["second instance (own state file): exit code"][2] == "3"
    assert "claimed by another ticketflow" in situations_week["second instance said"][2]



def test_a_cycle_late_escalation_differs_only_in_its_wait() -> None:
    """When a lost cycle (an outage, a pause) escalates a ticket a cycle later, its message
    truthfully says it waited longer: that alone is counted and not a difference; any other
    change to the text still is."""
    harness: Any = _harness()
    situations = sys.modules["fault_situations"]
    which = ("<req-1@x>", "assigned_to_you", "bob@x.edu")
    text = "<req-1@x> assigned to you (tier 2, escalated from tier 1 after {} in Reviewing)."
    clean, late = _run({which: text.format("2h30m")}), _run({which: text.format("3h")})
    assert situations.waits_normalised(clean, late) == 1
    assert harness.compare(clean, late) == []
    clean, other = _run({which: text.format("2h30m")}), _run({which: text.format("3h") + "!"})
    assert situations.waits_normalised(clean, other) == 0
    assert harness.compare(clean, other) != []


def test_zendesk_references_are_matched_by_request() -> None:
    """On Zendesk a message names its ticket `#4711`: two runs whose tickets got other numbers
    read the same once the reference is replaced by the request that opened the ticket, and a
    number that is no ticket of the run stays as it is."""
    from email import message_from_string, policy

    harness: Any = _harness()

    def text(body: str, by_key: dict[str, str]) -> str:
        mail = message_from_string(f"Subject: s\n\n{body}", policy=policy.default)
        return str(harness.normalised(mail, by_key, harness.REFERENCE["zendesk"]))

    one = text("Your request #12 is complete (order #99).", {"12": "<req-1@x>"})
    other = text("Your request #40 is complete (order #99).", {"40": "<req-1@x>"})
    assert one == other == "Your request <req-1@x> is complete (order #99)."
    assert text("Your request #12 is complete.", {"40": "<req-1@x>"}) != one
