"""`Config.digest`: one hash of a configuration's files, equal to the files' hash on disk
until one of them (an include, mappings.yaml, a template) changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from connector.config.digest import disk_digest
from connector.config.loader import load_config, read_config

ROOT = Path(__file__).resolve().parents[3]


def _copy(folder: Path) -> Path:
    for name in ("rules.yaml", "mappings.yaml", "rules"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, folder / name)
    return folder


def test_the_digest_is_the_files_on_disk_until_one_changes(tmp_path: Path) -> None:
    """Unchanged files hash to the loaded configuration's digest; editing an include, a
    template or mappings.yaml each changes it."""
    folder = _copy(tmp_path)
    config = load_config(folder)
    assert len(config.digest) == 64
    assert disk_digest(folder, config.files) == config.digest
    assert load_config(folder).digest == config.digest
    seen = {config.digest}
    for name in ("rules/escalation.yaml", "rules/templates/work_started.txt.j2",
                 "mappings.yaml"):
        path = folder / name
        path.write_text(path.read_text() + "\n# edited\n")
        now = disk_digest(folder, config.files)
        assert now not in seen, name
        seen.add(now)
        assert load_config(folder).digest == now


def test_a_broken_configuration_has_a_digest_and_names_its_files(tmp_path: Path) -> None:
    """A reading that fails still says which files it read and their digest, so an edit to
    the broken file is noticed; line endings do not move line numbers in its problems."""
    folder = _copy(tmp_path)
    rules = folder / "rules.yaml"
    rules.write_bytes(rules.read_bytes().replace(b"on: created", b"on: creatd")
                      .replace(b"\n", b"\r\n"))
    attempt = read_config(folder)
    assert attempt.config is None
    assert any(p.startswith("rules.yaml:94:5: rules[0].on: unknown event type 'creatd'")
               for p in attempt.problems)
    assert rules in attempt.files
    assert disk_digest(folder, attempt.files) == attempt.digest
