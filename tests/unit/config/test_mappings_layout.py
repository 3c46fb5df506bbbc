"""mappings.yaml's layouts: a section per tracker, the Zendesk section, and the older flat
Jira layout, still read with a located warning."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from connector.cli import main
from connector.config.loader import load_config
from connector.config.trackers import TagTarget, TicketFieldTarget

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"
SECTIONED = (FIXTURES / "valid" / "minimal" / "mappings.yaml").read_text()
ZENDESK = """\
tracker: zendesk
zendesk:
  statuses:
    Open: {agent_label: New request, category: new}
    Working: {agent_label: Being worked on, category: open}
    Closed: {agent_label: Done, category: solved}
  fields:
    category: {tag_prefix: cat_}
    satisfaction: {custom_field: 360001234568}
  roles:
    support: {group: Support, users: [ann@example.org]}
    engineers: {group: Engineers, users: [ben@example.org], assign: least_loaded}
mailbox: {address: help@example.org}
"""
EMAIL_CHANNEL = "notifications:\n  assignee: {via: email}\n"


def _flat(text: str) -> str:
    """The sectioned minimal file written the older way: `jira:`'s keys at the top."""
    return re.sub(r"(?m)^jira:\n", "", text).replace("\n  ", "\n")


def _config(tmp_path: Path, mappings: str, rules_extra: str = "") -> Path:
    folder = tmp_path / "config"
    shutil.copytree(FIXTURES / "valid" / "minimal", folder)
    (folder / "mappings.yaml").write_text(mappings)
    if rules_extra:
        with (folder / "rules.yaml").open("a") as rules:
            rules.write(rules_extra)
    return folder


def test_the_flat_layout_is_read_as_the_jira_section_with_a_located_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mappings.yaml of the older flat layout still validates (exit 0) and reads exactly as
    the same names under `jira:`; validate warns once, at the first flat key's line."""
    flat = _flat(SECTIONED)
    assert flat.splitlines()[1] == "project: SUP"  # the fixture really is flat
    old = load_config(_config(tmp_path / "old", flat))
    new = load_config(_config(tmp_path / "new", SECTIONED))
    assert old.mappings == new.mappings
    assert new.warnings == ()
    code = main(["validate", "--config-dir", str(tmp_path / "old" / "config")])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("ok: ")
    assert err == (
        "mappings.yaml:2:1: project: deprecated flat layout: project, issue_type, statuses, "
        "fields, roles at the top of the file are read as the `jira:` section; expected them "
        'indented under `jira:` (see the README, "mappings.yaml"); the flat layout will stop '
        "being read in a later release\n")


def test_problems_in_a_flat_file_point_at_its_own_lines(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A mistake in a flat file is found at the line the admin wrote it on, though it is read
    as part of the `jira:` section."""
    flat = _flat(SECTIONED).replace("assign: least_loaded", "assign: fastest")
    line = next(n for n, text in enumerate(flat.splitlines(), 1) if "fastest" in text)
    code = main(["validate", "--config-dir", str(_config(tmp_path, flat))])
    err = capsys.readouterr().err
    assert code == 2
    assert f"mappings.yaml:{line}:49: jira.roles.engineers.assign: got str 'fastest'" in err


def test_a_zendesk_section_gives_the_project_roles_and_fields(tmp_path: Path) -> None:
    """`tracker: zendesk` reads the `zendesk:` section: the project defaults to ZENDESK, the
    roles carry their groups, the category is a tag prefix, satisfaction a ticket field."""
    config = load_config(_config(tmp_path, ZENDESK, EMAIL_CHANNEL))
    mappings = config.mappings
    assert mappings.zendesk is not None and mappings.section is mappings.zendesk
    assert mappings.project == "ZENDESK"
    assert {name: role.users for name, role in mappings.roles.items()} == {
        "support": ["ann@example.org"], "engineers": ["ben@example.org"]}
    assert [r.group for r in mappings.zendesk.roles.values()] == ["Support", "Engineers"]
    assert mappings.zendesk.fields.category == TagTarget(tag_prefix="cat_")
    assert mappings.zendesk.fields.satisfaction == TicketFieldTarget(custom_field=360001234568)
    assert mappings.keeps_satisfaction
    assert mappings.zendesk.statuses["Closed"].category == "solved"


def test_both_sections_may_stand_and_tracker_picks_one(tmp_path: Path) -> None:
    """A file may hold both sections (switching trackers is one word); `tracker:` picks."""
    both = SECTIONED + ZENDESK.split("\n", 1)[1].replace("mailbox: {address: help@example.org}\n",
                                                          "")
    config = load_config(_config(tmp_path, both))
    assert config.mappings.project == "SUP" and config.mappings.zendesk is not None
