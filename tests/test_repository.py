"""The repository itself: a fresh clone works anywhere, and building leaves it unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def tracked_links(root: Path) -> dict[str, str]:
    """Every symbolic link git tracks under ``root``: its path and the target it names."""
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-s", "-z"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    links = {}
    for entry in listing.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        if meta.startswith(b"120000 "):
            blob = meta.split()[1].decode()
            target = subprocess.run(
                ["git", "-C", str(root), "cat-file", "blob", blob],
                capture_output=True,
                check=True,
                timeout=60,
            ).stdout
            links[path.decode()] = target.decode(errors="replace")
    return links


def escapes(root: Path, path: str, target: str) -> bool:
    """Whether a link at ``path`` naming ``target`` points outside ``root`` (or at itself)."""
    if os.path.isabs(target):
        return True
    resolved = os.path.normpath(os.path.join(root, os.path.dirname(path), target))
    inside = resolved == str(root) or resolved.startswith(str(root) + os.sep)
    return not inside or resolved == os.path.normpath(os.path.join(root, path))


def test_no_tracked_link_points_outside_the_repository() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an installed copy)")
    outside = {p: t for p, t in tracked_links(ROOT).items() if escapes(ROOT, p, t)}
    assert not outside, f"tracked links that point outside the repository: {outside}"


def test_the_link_check_catches_an_absolute_link_and_one_that_climbs_out(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    (tmp_path / "inside.txt").write_text("x")
    os.symlink("/work/main/node_modules", tmp_path / "node_modules")
    os.symlink("../elsewhere", tmp_path / "climbs")
    os.symlink("inside.txt", tmp_path / "fine")
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True, timeout=60)
    links = tracked_links(tmp_path)
    assert set(links) == {"node_modules", "climbs", "fine"}
    assert {p for p, t in links.items() if escapes(tmp_path, p, t)} == {"node_modules", "climbs"}


PYTEST = str(Path(sys.executable).with_name("pytest"))
GROUPED = """\
import os
import pytest

pytestmark = pytest.mark.xdist_group("network")


@pytest.mark.parametrize("n", range(6))
def test_member(n):
    with open(os.environ["WORKERS_SEEN"], "a") as seen:
        seen.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_tests_that_share_an_expensive_fixture_run_on_one_worker(tmp_path: Path) -> None:
    # make test runs on two workers with --dist loadgroup: a module marked xdist_group (the
    # private Tor network's tests) must run on one of them, or each worker builds its own
    # network. pytest 9.2 with pytest-xdist 3.8 ignored the mark without a word.
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    seen = tmp_path / "seen"
    result = subprocess.run(
        [PYTEST, "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path, env={**os.environ, "WORKERS_SEEN": str(seen)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    workers = seen.read_text().split()
    assert len(workers) == 6 and len(set(workers)) == 1, workers
