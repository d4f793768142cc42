"""What a test needs beyond Python, said by its markers, and held to them.

``make check`` runs every test that needs no browser, tor or PostgreSQL server, so a test that
starts one of them without its marker would make the quick run slow, or fail on a machine that
lacks it. The helpers that start a browser, tor or a cluster call :func:`require`, which fails
such a test by name: a marker cannot be forgotten unnoticed.
"""

from __future__ import annotations

import pytest

#: The markers of what a test starts, and what each names (pyproject.toml registers them).
NEEDS = {
    "browser": "a real browser (Chromium or Firefox ESR)",
    "tor": "tor",
    "postgres_server": "a PostgreSQL server of its own",
}
#: The test being run in this process (set by conftest's hooks).
current: list[pytest.Item] = []


def require(marker: str) -> None:
    """Fail the running test unless it carries ``marker`` (it is about to start what it names)."""
    item = current[-1] if current else None
    if item is not None and item.get_closest_marker(marker) is None:
        pytest.fail(f"{item.nodeid} starts {NEEDS[marker]} but is not marked '{marker}'")
