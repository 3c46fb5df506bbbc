"""The fixture mails and the shared corpus, for the mail intake tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "mail"
# In CI the corpus sits in ../shared beside the clone, as on a developer's machine.
CORPUS = Path(__file__).resolve().parents[5] / "shared" / "corpus" / "mail"


def fixture(name: str) -> bytes:
    """The bytes of tests/fixtures/mail/<name>."""
    return (FIXTURES / name).read_bytes()
