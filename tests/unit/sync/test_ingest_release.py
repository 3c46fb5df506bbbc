"""`ticketflow mail list` and `ticketflow mail release`: quarantined mail goes back to the
inbox, its outcome forgotten, and the next pass handles it anew; twice is as good as once."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.cli import main
from connector.errors import TrackerError
from connector.mail.intake.ingest import MAX_ATTEMPTS

from .test_ingest import Rig, mail, make_rig
from .test_ingest_recovery import Unavailable

KEY = "<req1.pat.doe@uni.example.edu>"


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rig:
    rig = make_rig(tmp_path)
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(rig.settings.state_db))
    monkeypatch.setenv("TICKETFLOW_MAILDIR", str(rig.maildir))
    monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(tmp_path))
    return rig


def quarantine_by_refusals(rig: Rig) -> None:
    """Jira refuses the mail's ticket five times (a field it will not take): quarantined."""
    original = rig.tracker.create
    rig.tracker.create = Unavailable(  # type: ignore[method-assign]
        TrackerError("HTTP 400: customfield_10072 is not on the screen", status=400))
    rig.drop(mail())
    for _ in range(MAX_ATTEMPTS):
        rig.ingest()
    rig.tracker.create = original  # type: ignore[method-assign]
    assert len(rig.folder("Quarantine")) == 1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["mail", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_released_mail_is_handled_anew_and_a_second_release_changes_nothing(
        rig: Rig, capsys: pytest.CaptureFixture[str]) -> None:
    """The list shows the quarantined mail with its number and Jira's words; releasing it by
    that number puts it back in the inbox; the next pass makes its ticket; releasing it
    again, or everything, finds nothing to do and exits 0."""
    quarantine_by_refusals(rig)
    code, listed = run(capsys, "list")
    assert code == 0 and "1 quarantined, 0 waiting" in listed
    (line,) = [ln for ln in listed.splitlines() if KEY in ln]
    assert "quarantined" in line and "not on the screen" in line
    number = line.split()[0]
    code, out = run(capsys, "release", number)
    assert code == 0 and "back in the inbox" in out
    assert rig.folder("Quarantine") == [] and len(list((rig.maildir / "new").iterdir())) == 1
    assert run(capsys, "release", number) == (0, f"mail {number} {KEY}: released already, "
                                                  "nothing to do\n")
    assert "released" in run(capsys, "list")[1]
    assert rig.ingest().tickets == 1
    record = rig.record(KEY)
    assert record is not None and (record.outcome, record.attempts) == ("ticket", 0)
    assert run(capsys, "release", "--all") == (0, "no quarantined mail to release\n")


def test_release_all_by_message_id_and_mistakes(rig: Rig,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`--all` releases every quarantined mail; a Message-ID names one as well as its number;
    an unknown one, or none at all, is a usage error (exit 2)."""
    quarantine_by_refusals(rig)
    assert run(capsys, "release", "nobody@nowhere")[0] == 2
    assert run(capsys, "release")[0] == 2
    code, out = run(capsys, "release", "--all")
    assert code == 0 and "back in the inbox" in out
    assert run(capsys, "release", "req1.pat.doe@uni.example.edu")[1].endswith(
        "released already, nothing to do\n")


def test_the_list_shows_no_control_character_from_a_strangers_mail(
        rig: Rig, capsys: pytest.CaptureFixture[str]) -> None:
    """An out-of-office subject (part of the quarantine reason) carrying a terminal escape
    is listed with the escape replaced, so `mail list` cannot drive the operator's terminal."""
    rig.drop(mail(subject="Automatic reply: \x1b[2Jgone", message_id="<oof@x.example>"))
    rig.ingest()
    code, listed = run(capsys, "list")
    assert code == 0 and "\x1b" not in listed and "?[2Jgone" in listed
