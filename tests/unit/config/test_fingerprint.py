"""The configuration's fingerprint: what the online check and the due index of time rules key
on, taken of the files as they were loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

from connector.config.loader import load_config

ROOT = Path(__file__).resolve().parents[3]


def _copy(tmp_path: Path) -> Path:
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
