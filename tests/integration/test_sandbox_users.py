"""Seeded users act as themselves in the sandbox, so their changes are not ticketflow's."""

from __future__ import annotations

import pytest
import requests

from connector.sandbox import API_TOKEN, API_USER, Sandbox


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_an_engineer_authors_their_own_change(flavor: str) -> None:
    """Bob's transition is authored by Bob in the changelog; `myself` answers Bob."""
    with Sandbox(flavor) as sandbox:
        (key,) = sandbox.seed_issues(1)
        version = "3" if flavor == "cloud" else "2"
        bob = requests.Session()
        if flavor == "cloud":
            bob.auth = ("bob@example.edu", API_TOKEN)
        else:
            bob.headers["Authorization"] = f"Bearer {API_TOKEN}-bob"
        base = f"{sandbox.url}/rest/api/{version}"
        me = bob.get(f"{base}/myself", timeout=5).json()
        assert me["emailAddress"] == "bob@example.edu"
        transitions = bob.get(f"{base}/issue/{key}/transitions", timeout=5).json()["transitions"]
        transition = next(t for t in transitions if t["to"]["name"] == "Done")
        assert bob.post(f"{base}/issue/{key}/transitions", json={
            "transition": {"id": transition["id"]}}, timeout=5).status_code == 204
        admin = requests.Session()
        admin.headers.update(sandbox.auth_headers())
        history = admin.get(f"{base}/issue/{key}?expand=changelog", timeout=5).json()[
            "changelog"]["histories"]
        assert history[0]["author"]["emailAddress"] == "bob@example.edu"
        assert admin.get(f"{base}/myself", timeout=5).json()["emailAddress"] == API_USER


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_wrong_token_is_refused(flavor: str) -> None:
    """An unknown user or a wrong token gets Jira's 401, for every flavor."""
    with Sandbox(flavor) as sandbox:
        session = requests.Session()
        if flavor == "cloud":
            session.auth = ("bob@example.edu", "not-the-token")
        else:
            session.headers["Authorization"] = "Bearer sandbox-token-mallory"
        version = "3" if flavor == "cloud" else "2"
        assert session.get(f"{sandbox.url}/rest/api/{version}/myself",
                           timeout=5).status_code == 401
