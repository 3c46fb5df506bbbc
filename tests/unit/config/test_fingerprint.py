"""The configuration's fingerprint: what the online check and the due index of time rules key
on, taken of the files as they were loaded."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from connector.config.loader import load_config

ROOT = Path(__file__).resolve().parents[3]


def _copy(tmp_path: Path) -> Path:
    tmp_path.mkdir(exist_ok=True)
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, tmp_path / name)
    return tmp_path


def test_any_edit_of_a_file_makes_a_new_fingerprint(tmp_path: Path) -> None:
    """A comment added to an included rules file is a new configuration (the online check runs
    again); the same files loaded twice are the same one."""
    folder = _copy(tmp_path)
    before = load_config(folder).fingerprint()
    assert load_config(folder).fingerprint() == before
    included = folder / "rules" / "escalation.yaml"
    included.write_text(included.read_text() + "# reviewed\n")
    assert load_config(folder).fingerprint() != before


def test_a_file_edited_under_a_loaded_configuration_leaves_its_fingerprint(
        tmp_path: Path) -> None:
    """A service keeps the configuration it loaded; rules.yaml edited afterwards does not
    change that configuration's fingerprint (the due index it builds must be marked as built
    for the rules it used, not for the edited ones)."""
    folder = _copy(tmp_path)
    config = load_config(folder)
    before = config.fingerprint()
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text().replace("escalate_after: 4 business hours",
                                               "escalate_after: 1 business hour"))
    assert config.fingerprint() == before
    assert load_config(folder).fingerprint() != before


def test_a_template_edit_leaves_the_fingerprint_and_a_rules_edit_changes_it(
        tmp_path: Path) -> None:
    """A template is no input of the tracker check or of planning: editing one changes the
    configuration's digest (run switches to it) but not its fingerprint (no extra online check,
    no due-index rebuild). An edit of rules.yaml or mappings.yaml changes both."""
    folder = _copy(tmp_path)
    first = load_config(folder)
    template = folder / "rules" / "templates" / "request_submitted.txt.j2"
    template.write_text(template.read_text() + "\nKind regards.\n")
    edited = load_config(folder)
    assert edited.digest != first.digest
    assert edited.fingerprint() == first.fingerprint()
    for name, old, new in [("rules.yaml", "escalate_after: 4 business hours",
                            "escalate_after: 3 business hours"),
                           ("mappings.yaml", "customfield_10073", "customfield_10074")]:
        path = folder / name
        path.write_text(path.read_text().replace(old, new))
        again = load_config(folder)
        assert again.fingerprint() != edited.fingerprint(), name
        edited = again


def test_the_fingerprint_reads_no_file_again(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading reads each YAML file once and the fingerprint reads none: it is built from the
    hashes of the bytes parsed. So rules.yaml rewritten between the load and the first look at
    the fingerprint leaves it that of the configuration loaded (as an untouched copy gives)."""
    folder = _copy(tmp_path / "live")
    untouched = load_config(_copy(tmp_path / "copy")).fingerprint()
    reads: Counter[str] = Counter()
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if path.suffix == ".yaml":
            reads[path.name] += 1
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    config = load_config(folder)
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text().replace("escalate_after: 4 business hours",
                                               "escalate_after: 1 business hour"))
    assert config.fingerprint() == untouched
    assert reads["rules.yaml"] == reads["mappings.yaml"] == reads["escalation.yaml"] == 1
