"""pyxform reads the workbook in a cage: a child process with limits on memory and CPU time.

A workbook is hostile input and its readers (openpyxl, xlrd, pyxform) are large: a zip that
inflates a thousand-fold, a sheet of millions of cells, an expression that makes pyxform's
parser backtrack. The bytes are measured first (:func:`~surveys.xlsform.limits.archive_problem`:
size, parts, what each part unpacks to), then parsed in a child that cannot take more than
``memory`` bytes of address space nor ``seconds`` of CPU, and is killed after ``seconds``
of wall time. Whatever happens in there costs only that import: it is refused with a reason,
and the organizer's worker never held the workbook's contents.

The children come from a fork server that has imported pyxform once, so a cage starts in
milliseconds rather than the second pyxform takes to import.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from .limits import MAX_WORKBOOK_BYTES, archive_problem

#: Address space the child may use: pyxform holds the sheets as dicts, several times the cells.
MEMORY_BYTES = 768 * 1024 * 1024
#: CPU seconds for reading and converting one form (real forms take well under two).
CPU_SECONDS = 20


@dataclass(frozen=True)
class Limits:
    memory: int = MEMORY_BYTES
    seconds: int = CPU_SECONDS


class Refused(Exception):
    """The workbook cannot be read: the message says why (and where, when it is known)."""


def kind_of(data: bytes, source: str) -> str:
    """xlsx, xls or csv, from the bytes (a file's name may lie), else ''."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if source.lower().endswith(".csv"):
        return "csv"
    return ""


def parse(data: bytes, source: str, limits: Limits) -> dict[str, Any]:
    """pyxform's reading of the workbook: the normalised form, its warnings and the sheets'
    rows. Raise :class:`Refused` with the reason when it cannot be read."""
    if len(data) > MAX_WORKBOOK_BYTES:
        raise Refused(f"larger than the {MAX_WORKBOOK_BYTES // 1024 // 1024} MiB limit")
    kind = kind_of(data, source)
    if not kind:
        raise Refused("not an XLSForm workbook (.xlsx, .xls or .csv)")
    if kind == "xlsx":
        problem = archive_problem(data)
        if problem:
            raise Refused(problem)
    answer = _SERVER.ask(data, kind, limits)
    if not isinstance(answer, dict) or not isinstance(
        answer.get("form", answer.get("refused")), dict | str
    ):
        raise Refused("refused: the reader gave no answer (try again)")
    if "refused" in answer:
        raise Refused(str(answer["refused"]))
    return answer


class _Server:
    """The parent's side: one fork server per process, started when first needed, asked one
    workbook at a time, started again if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def ask(self, data: bytes, kind: str, limits: Limits) -> Any:
        header = {
            "kind": kind,
            "size": len(data),
            "memory": limits.memory,
            "seconds": limits.seconds,
        }
        with self._lock:
            process = self._start()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(json.dumps(header).encode() + b"\n" + data)
                process.stdin.flush()
                line = _read_line(process.stdout, limits.seconds + 10)
                return json.loads(line) if line else None
            except (OSError, ValueError):
                self._stop()
                return None
            finally:
                if process.poll() is not None:
                    self._stop()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "surveys.xlsform.child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        return self._process

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()
            self._process = None


def _read_line(source: IO[bytes], seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    fd = source.fileno()
    data = bytearray()
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b""
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b""
        data += chunk
    return bytes(data)


_SERVER = _Server()
# The server is ours to end: at exit it goes, rather than outliving the process as an orphan.
atexit.register(_SERVER.close)
