"""mappings.yaml with several Jira projects: each read with its own names, the first the
default, mail routed by a project's own address."""

from __future__ import annotations

from pathlib import Path

from connector.config.loader import load_config
from connector.config.mappings import jira_sections


def test_a_list_of_projects_is_read_in_order_the_first_the_default(
        two_projects_config: Path) -> None:
    """Both projects load with their own statuses; the default project is the first."""
    mappings = load_config(two_projects_config).mappings

    assert mappings.projects == ("SUP", "OPS")
    assert mappings.project == "SUP"
    ops = jira_sections(mappings)[1]
    assert ops.statuses["Working"] == "Working"
    assert jira_sections(mappings)[0].statuses["Working"] == "In Progress"


def test_roles_are_read_per_project(two_projects_config: Path) -> None:
    """A role's people are the ticket's project's; staff is everyone, once each."""
    mappings = load_config(two_projects_config).mappings

    assert mappings.roles_of("OPS")["support"].users == ["cat@example.org"]
    assert mappings.roles_of("SUP")["support"].users == ["ann@example.org"]
    assert mappings.staff == ["ann@example.org", "ben@example.org", "cat@example.org",
                              "dan@example.org"]


def test_mail_goes_to_the_project_whose_address_it_was_sent_to(
        two_projects_config: Path) -> None:
    """Mail to OPS's address (any case) is OPS's; mail to the shared address or to none of
    the projects' addresses is the default project's."""
    mappings = load_config(two_projects_config).mappings

    assert mappings.project_for_mail(["someone@x.org", "OPS@example.org"]) == "OPS"
    assert mappings.project_for_mail(["help@example.org"]) == "SUP"
    assert mappings.project_for_mail([]) == "SUP"


def test_one_project_still_reads_as_a_list_of_one() -> None:
    """The single `jira:` mapping of earlier releases is a list of one project."""
    folder = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "valid" / "minimal"
    mappings = load_config(folder).mappings

    assert mappings.projects == ("SUP",)
    assert mappings.project_for_mail(["anything@example.org"]) == "SUP"
