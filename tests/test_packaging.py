"""A pip-installed portal needs no Node: the wheel carries the built browser bundle."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .browsers import needs_bundle
from .conftest import ROOT


@pytest.mark.slow
@needs_bundle
def test_the_wheel_carries_the_browser_bundle_and_scripts(tmp_path: Path) -> None:
    # Offline: the build backend comes from the test environment, not from PyPI.
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip_wheel, "--no-build-isolation", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("glas-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("vendor/sodium.js", "vendor/sodium.js.gz", "glas-worker.js", "glas-form.js"):
        assert f"portal/static/js/{name}" in names, name
    assert not any("node_modules" in n or n.startswith("tests/") for n in names)
