"""The glas command: exit codes and one-line messages as design §4 prescribes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey
from portal.storage.blobs import node_name

from .conftest import EXAMPLES, ROOT, RunCli, free_port

pytestmark = [pytest.mark.both_databases]


def test_keys_new_writes_a_protected_file_and_prints_line_and_fingerprint(
    run_cli: RunCli, passphrase_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mine.key"
    result = run_cli("keys", "new", "--out", out, "--passphrase-file", passphrase_file)
    assert result.exit_code == 0
    line, fingerprint = result.stdout.splitlines()[:2]
    assert line.startswith("glas-pk-1:") and fingerprint.startswith("Fingerprint: ")
    assert run_cli("keys", "show", out).stdout.splitlines()[0] == line
    assert run_cli("keys", "new", "--out", out, "--passphrase-file", passphrase_file).exit_code == 2


def test_a_short_new_passphrase_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("hunter2\n")
    result = run_cli("keys", "new", "--out", tmp_path / "k", "--passphrase-file", short)
    assert result.exit_code == 2 and "at least 12 characters" in result.output
    assert not (tmp_path / "k").exists()


def test_reviewers_add_accepts_a_line_or_a_file_once(
    run_cli: RunCli, reviewer: tuple[Path, ReviewerKey]
) -> None:
    line = reviewer[1].public_key.to_line()
    assert run_cli("reviewers", "add", line, "--name", "Ana").exit_code == 0
    again = run_cli("reviewers", "add", reviewer[0], "--name", "Ana again")
    assert again.exit_code == 2 and "already registered" in again.output
    assert run_cli("reviewers", "add", "glas-pk-1:broken", "--name", "X").exit_code == 2


def test_publishing_without_any_reviewer_is_refused(run_cli: RunCli) -> None:
    result = run_cli("surveys", "import", EXAMPLES / "testimony.yaml", "--publish")
    assert result.exit_code == 2 and "reviewer key" in result.output


def test_malformed_survey_file_exits_2_naming_file_and_line(
    run_cli: RunCli, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nquestions:\n  - name: q\n    type: radio\n    label: Q\n")
    result = run_cli("surveys", "import", bad)
    assert result.exit_code == 2
    assert f"{bad}:5: unknown question type 'radio'" in result.output


def test_missing_survey_file_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("surveys", "import", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "cannot read" in result.output


def test_export_with_nothing_new_writes_nothing(published: RunCli, tmp_path: Path) -> None:
    result = published("export", "--out", tmp_path / "b.glas")
    assert result.exit_code == 0 and "No new submissions" in result.output
    assert not (tmp_path / "b.glas").exists()


def test_serve_refuses_a_busy_port(published: RunCli) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        result = published("serve", "--local-only", "--port", str(s.getsockname()[1]))
    assert result.exit_code == 2 and "in use" in result.output


@pytest.mark.parametrize("workers", ["0", "17", "two"])
def test_serve_refuses_a_worker_count_it_cannot_run(
    published: RunCli, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv("GLAS_WORKERS", workers)
    ports = ["--port", str(free_port()), "--organizer-port", str(free_port())]
    result = published("serve", "--local-only", *ports)
    assert result.exit_code == 2 and "GLAS_WORKERS" in result.output, result.output


def test_commands_never_sweep_an_upload_a_running_server_is_receiving(
    published: RunCli, data_dir: Path, tmp_path: Path
) -> None:
    # An upload in progress, as glas serve would be writing it right now.
    receiving = data_dir / "blobs" / ".incoming" / node_name() / "in-progress"
    receiving.mkdir(parents=True)
    (receiving / "file-0").write_bytes(b"ciphertext so far")
    for command in (["reviewers", "list"], ["export", "--out", tmp_path / "b.glas"]):
        assert published(*command).exit_code == 0
    assert (receiving / "file-0").exists()


def test_the_command_table_says_what_each_command_says_of_itself() -> None:
    """glas --help lists commands from a table, without importing them: it cannot drift."""
    import click

    from glas.cli import ALERTS, COMMANDS, cli

    context = click.Context(cli)
    for table, group in ((COMMANDS, cli), (ALERTS, cli.get_command(context, "alerts"))):
        assert isinstance(group, click.Group)
        for name, lazy in table.items():
            command = group.get_command(context, name)
            assert command is not None and command.name == name
            assert command.get_short_help_str(limit=200) == lazy.help, name


def test_glas_help_loads_no_command_module() -> None:
    code = (
        "import sys; from glas.cli import cli; cli.main(['--help'], standalone_mode=False); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'portal', 'reviewer', 'crypto', 'surveys', 'onion', 'flask', 'nacl'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
