"""Inside the cage (:mod:`surveys.xlsform.cage`): pyxform reads one workbook and answers.

``python -m surveys.xlsform.child`` is a small fork server: it imports pyxform once, then for
each workbook it reads from stdin forks a child that limits itself (memory, CPU, no core
file) before it reads a byte of the workbook, and answers one JSON line: what pyxform made of
the form, or why it is refused. The server kills a child that outlives its time. Nothing here
raises: an exception is that workbook's failure, said in one line.
"""

from __future__ import annotations

import copy
import json
import os
import re
import resource
import select
import signal
import sys
import time
from io import BytesIO
from typing import Any

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from .limits import MAX_CELL_LENGTH, MAX_CELLS, MAX_COLUMNS, MAX_ROWS

#: The sheets Glas reads (the others, such as entities or osm, are set aside by name).
SHEETS = ("survey", "choices", "settings", "external_choices")


#: How a child that gave no answer ended, as the organizer reads it.
OUT_OF_TIME = "refused: reading it took more than {seconds} s (far more than any form)"
OUT_OF_MEMORY = (
    "refused: reading it needed more than {memory} MiB of memory (far more than any form)"
)


def serve() -> None:
    """The server's loop: one request (a JSON header line, then the workbook's bytes) and one
    JSON answer line at a time, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when it ends
    source, out = sys.stdin.buffer, sys.stdout.buffer
    while header := source.readline():
        request = json.loads(header)
        data = source.read(int(request["size"]))
        answer = in_child(
            data, str(request["kind"]), int(request["memory"]), int(request["seconds"])
        )
        out.write(answer + b"\n")
        out.flush()


def in_child(data: bytes, kind: str, memory: int, seconds: int) -> bytes:
    """Fork; the child limits itself, reads and writes its answer; the answer, or a refusal
    saying which limit it met."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reading)
        code = 0
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            answer = json.dumps(run(data, kind), ensure_ascii=False).encode("utf-8")
            with os.fdopen(writing, "wb") as pipe:
                pipe.write(answer)
        except MemoryError:
            code = 3
        except BaseException:
            code = 4
        os._exit(code)
    os.close(writing)
    chunks, deadline, timed_out = [], time.monotonic() + seconds + 2, False
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([reading], [], [], left)[0]:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(reading, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(reading)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        return b"".join(chunks).replace(b"\n", b" ")
    killed_by = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    if timed_out or killed_by in (signal.SIGXCPU, signal.SIGKILL):
        why = OUT_OF_TIME.format(seconds=seconds)
    else:
        why = OUT_OF_MEMORY.format(memory=memory // 1024 // 1024)
    return json.dumps({"refused": why}).encode()


def run(data: bytes, kind: str) -> dict[str, Any]:
    """Read ``data`` as a ``kind`` workbook: the answer, or a refusal (never an exception but
    running out of memory)."""
    try:
        return read(data, kind)
    except MemoryError:
        raise
    except Exception as e:  # a reader's own failure on these bytes is a refusal
        if _out_of_memory(e):
            raise MemoryError from e
        return {"refused": f"pyxform cannot read it ({type(e).__name__})"}


#: How readers written in C say that memory ran out in errors of their own (expat's ParseError
#: "out of memory", zlib's "insufficient memory"): the cage's limit, not a malformed file.
MEMORY_WORDS = ("out of memory", "no memory", "insufficient memory", "cannot allocate memory")


def _out_of_memory(error: BaseException | None) -> bool:
    while error is not None:
        text = str(error).lower()
        if isinstance(error, MemoryError) or any(words in text for words in MEMORY_WORDS):
            return True
        error = error.__cause__ or error.__context__
    return False


def read(data: bytes, kind: str) -> dict[str, Any]:
    try:
        book = get_xlsform(xlsform=BytesIO(data), file_type=f".{kind}")
    except PyXFormError as e:
        return {"refused": f"not a workbook pyxform reads ({first_line(e)})"}
    rows = {name: list(getattr(book, name) or []) for name in SHEETS}
    headers = {
        name: [str(h) for h in (getattr(book, f"{name}_header") or [{}])[0]] for name in SHEETS
    }
    too_large = size_problem(rows, headers)
    if too_large:
        return {"refused": too_large}
    warnings: list[str] = []
    try:
        form = workbook_to_json(
            workbook_dict=book,
            form_name=None,
            fallback_form_name=book.fallback_form_name,
            default_language=None,
            warnings=warnings,
        )
        kept = copy.deepcopy(form)  # building the XForm below changes the dict in place
        create_survey_element_from_dict(form).to_xml(validate=False, warnings=warnings)
    except PyXFormError as e:
        return {"refused": located(first_line(e))}
    return {
        "form": kept,
        "warnings": warnings,
        "rows": rows,
        "headers": headers,
        "sheets": [str(name) for name in book.sheet_names or []],
    }


def size_problem(rows: dict[str, list[dict[str, Any]]], headers: dict[str, list[str]]) -> str:
    """Why the sheets are too large to be a form, or ''."""
    cells = 0
    for sheet, found in rows.items():
        if len(headers[sheet]) > MAX_COLUMNS:
            return f"{sheet} sheet: more than {MAX_COLUMNS} columns"
        if len(found) > MAX_ROWS:
            return f"{sheet} sheet: more than {MAX_ROWS:,} rows"
        for number, row in enumerate(found, start=2):
            cells += len(row)
            if cells > MAX_CELLS:
                return f"more than {MAX_CELLS:,} cells in all (at the {sheet} sheet, row {number})"
            for column, value in row.items():
                if isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
                    return (
                        f"{sheet} sheet, row {number}, column '{column}': a cell longer than "
                        f"{MAX_CELL_LENGTH:,} characters"
                    )
    return ""


ROW = re.compile(r"\[row\s*:\s*(\d+)\]\s*")
SHEET = re.compile(r"On the '(\w+)' sheet,?\s*", re.I)
COLUMN = re.compile(r"the '([^']+)' value is invalid\.?\s*", re.I)


def located(message: str) -> str:
    """pyxform's message said as Glas says where: ``survey sheet, row 5, column 'name': …``."""
    row, sheet, column = ROW.search(message), SHEET.search(message), COLUMN.search(message)
    if row is None:
        return f"pyxform refuses it: {message}"
    rest = message
    for found in (row, sheet, column):
        if found is not None:
            rest = rest.replace(found.group(0), "", 1)
    where = f"{sheet.group(1).lower() if sheet else 'survey'} sheet, row {row.group(1)}"
    if column is not None:
        where += f", column '{column.group(1)}'"
        rest = f"invalid: {rest}"
    return f"{where}: {rest.strip()}"


def first_line(error: BaseException) -> str:
    """pyxform's message on one line (its messages quote the row: "[row : 5] ...")."""
    return " ".join(str(error).split())[:500] or type(error).__name__


if __name__ == "__main__":
    serve()
