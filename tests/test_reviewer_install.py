"""`make reviewer-kit`: a folder a reviewer copies to a USB stick and installs on an offline
laptop with nothing but python3; the installed glas decrypts a bundle, still offline."""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey
from surveys import load_survey_file

from .conftest import EXAMPLES, ROOT
from .synthetic import sealed_record, synthetic_answers, write_bundle

pytestmark = pytest.mark.slow


def offline(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run with no network at all: a fresh network namespace has only a loopback that is down.
    Where namespaces are not allowed, pip's --no-index (in install.sh) still keeps it local."""
    prefix = ["unshare", "-rn"] if _can_unshare() else []
    return subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=600, **kwargs
    )  # type: ignore[call-overload, no-any-return]


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def built_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit, built once for the module (it downloads the dependencies' wheels)."""
    kit = tmp_path_factory.mktemp("built") / "kit"
    pip = Path(sys.executable).with_name("pip")
    built = subprocess.run(
        ["bash", str(ROOT / "deploy" / "reviewer-kit" / "build.sh"), str(kit)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PIP": str(pip)},
    )
    assert built.returncode == 0, built.stderr
    return kit


@pytest.fixture
def kit(built_kit: Path, tmp_path: Path) -> Path:
    """A copy of the kit this test may tamper with."""
    return Path(shutil.copytree(built_kit, tmp_path / "kit"))


@pytest.mark.parametrize(
    "extra",
    ["wheels/glas-99.0.0-py3-none-any.whl", "wheels/pip-0.whl", "notes/evil.whl"],
)
def test_a_file_the_checksums_do_not_list_stops_the_install_before_anything_is_written(
    kit: Path, tmp_path: Path, extra: str
) -> None:
    (kit / extra).parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(kit / extra, "w") as wheel:
        wheel.writestr("glas/__init__.py", "raise SystemExit('ran the extra wheel')\n")
    target = tmp_path / "laptop" / "glas-reviewer"
    installed = offline(["sh", str(kit / "install.sh"), str(target)], cwd=tmp_path)
    assert installed.returncode == 2
    assert f"{extra}: not listed in SHA256SUMS" in installed.stderr
    assert "nothing was installed" in installed.stderr and "Installed." not in installed.stdout
    assert not target.exists()


def test_a_changed_or_missing_file_stops_the_install(kit: Path, tmp_path: Path) -> None:
    (glas,) = (kit / "wheels").glob("glas-*.whl")
    with open(glas, "ab") as wheel:
        wheel.write(b"\0")
    (pynacl,) = (kit / "wheels").glob("[Pp]y[Nn]a[Cc][Ll]-*.whl")
    pynacl.unlink()
    target = tmp_path / "laptop" / "glas-reviewer"
    installed = offline(["sh", str(kit / "install.sh"), str(target)], cwd=tmp_path)
    assert installed.returncode == 2
    assert f"wheels/{glas.name}: does not match SHA256SUMS" in installed.stderr
    assert f"wheels/{pynacl.name}: listed in SHA256SUMS but missing" in installed.stderr
    assert not target.exists()


def test_the_kit_installs_offline_and_decrypts_a_bundle(
    reviewer: tuple[Path, ReviewerKey], passphrase_file: Path, kit: Path, tmp_path: Path
) -> None:
    wheels = {p.name.split("-")[0].lower() for p in (kit / "wheels").glob("*.whl")}
    assert {"glas", "pynacl", "orjson", "pyreadstat", "pip"} <= wheels
    assert not wheels & {"flask", "werkzeug", "sqlalchemy", "alembic", "stem", "gunicorn"}
    assert (kit / "README.txt").is_file()
    (wheel,) = (kit / "wheels").glob("glas-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        modules = [n for n in archive.namelist() if n.endswith(".py")]
    assert modules and all((ROOT / name).is_file() for name in modules)  # nothing stale

    target = tmp_path / "laptop" / "glas-reviewer"
    installed = offline(["sh", str(kit / "install.sh"), str(target)], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    glas = target / "bin" / "glas"
    flask = offline([str(target / "bin" / "python"), "-c", "import flask"])
    assert flask.returncode != 0  # the web stack is not on the laptop at all

    survey = load_survey_file(EXAMPLES / "needs-assessment.yaml")
    rng = random.Random(7)
    records = [
        sealed_record(survey, synthetic_answers(survey, rng), [reviewer[1].public_key], day)
        for day in ["2026-10-03", "2026-11-05"] * 10
    ]
    bundle = write_bundle(tmp_path / "usb.glas", survey, records)
    out = tmp_path / "decrypted"
    decrypted = offline(
        [str(glas), "decrypt", str(bundle), "--key", str(reviewer[0]), "--passphrase-file",
         str(passphrase_file), "--out", str(out), "--by", "month"],
        cwd=tmp_path,
    )  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr
    assert "Decrypted 20 submissions" in decrypted.stdout
    (folder,) = (out / "needs-assessment").iterdir()
    with open(folder / "answers.csv", newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 20
    for name in ("answers.xlsx", "answers.sav", "answers.dta", "codebook.csv"):
        assert (folder / name).is_file(), name
    assert "2026-10" in (out / "report.html").read_text(encoding="utf-8")
    verified = offline([str(glas), "verify", str(bundle)])
    assert verified.returncode == 0 and "intact" in verified.stdout
