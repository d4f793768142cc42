"""Workbooks built to hurt: refused with a clear reason; the organizer's process never holds them.

An .xlsx is a zip, and a zip can inflate a thousand-fold: a 1 MiB upload held a 1 GiB label and
pushed an organizer worker to 4 GB. The bytes are measured before any reader sees them; what
passes is read by pyxform in a caged child (:mod:`surveys.xlsform.cage`) whose memory and CPU
time are bounded. Each bomb is imported in a fresh process, so its peak memory is the import's
own. Time is bounded by the cage's CPU limit, which a test meets with a small limit: no test
here reads a clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest

from surveys.xlsform import child
from surveys.xlsform.cage import Limits, Refused, parse

from .conftest import ROOT, RunCli
from .xlsforms import HEALTH, write

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org'
    '/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org'
    '/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
    'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"
SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
HEADER_ROW = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
#: Shared strings 0 and 1 are "type" and "name"; :func:`wide_rows` adds the rest.
WIDE_STRINGS = ("note", "q", *(f"c{i}" for i in range(2, 400)))


def workbook(
    path: Path,
    rows: list[str] | None = None,
    strings: tuple[str, ...] = (),
    shared: bool = True,
    header: str = HEADER_ROW,
) -> Path:
    """An .xlsx with a survey sheet of these rows (XML) and these shared strings."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if shared:
            items = "".join(f"<si><t>{s}</t></si>" for s in ("type", "name", *strings))
            z.writestr("xl/sharedStrings.xml", f"{SST}{items}</sst>")
        z.writestr(
            "xl/worksheets/sheet1.xml", SHEET_HEAD + header + "".join(rows or []) + SHEET_TAIL
        )
    return path


@pytest.fixture(scope="module")
def label_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1 MiB on disk: a shared string (a label) of 1 GiB of "A"."""
    path = tmp_path_factory.mktemp("bombs") / "label-bomb.xlsx"
    workbook(path, shared=False)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("xl/sharedStrings.xml", "w", force_zip64=True) as member,
    ):
        member.write(SST.encode() + b"<si><t>type</t></si><si><t>name</t></si><si><t>")
        block = b"A" * 2**20
        for _ in range(1024):
            member.write(block)
        member.write(b"</t></si></sst>")
    return path


def cells_row(number: int, count: int) -> str:
    return f'<row r="{number}">' + "<c><v>1</v></c>" * count + "</row>"


def wide_rows(columns: int, rows: int) -> tuple[str, list[str]]:
    """A header of ``columns`` named columns (type, name, c2, c3, …) and ``rows`` note rows
    that fill every column: a sheet pyxform reads cell by cell (use with WIDE_STRINGS)."""
    named = "".join(f'<c t="s"><v>{2 + i}</v></c>' for i in range(2, columns))
    header = f'<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c>{named}</row>'
    cells = '<c t="s"><v>2</v></c><c t="s"><v>3</v></c>' + "<c><v>1</v></c>" * (columns - 2)
    return header, [f'<row r="{n}">{cells}</row>' for n in range(2, rows + 2)]


def measured(path: Path) -> dict[str, object]:
    """Import ``path`` in a fresh process; return its outcome and that process's peak memory
    growth (the caged reader's memory is the child's, bounded by its own limit)."""
    script = f"""
import json, resource
from surveys.xlsform import load_xlsform
from surveys.errors import SurveyDefinitionError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_xlsform(__import__("pathlib").Path({str(path)!r}))
    outcome = "imported"
except SurveyDefinitionError as e:
    outcome = str(e)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({{"outcome": outcome, "grown_mb": grown}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_a_label_that_inflates_to_a_gigabyte_is_refused_unread(label_bomb: Path) -> None:
    assert label_bomb.stat().st_size < 2 * 2**20
    result = measured(label_bomb)
    assert "sharedStrings.xml unpacks to more than 8 MiB" in str(result["outcome"])
    assert float(result["grown_mb"]) < 100  # type: ignore[arg-type]


def test_two_million_cells_are_refused_before_a_reader_sees_them(tmp_path: Path) -> None:
    path = workbook(tmp_path / "big.xlsx", [cells_row(n, 400) for n in range(2, 5002)])
    assert path.stat().st_size < 300_000
    result = measured(path)
    assert "sheet1.xml unpacks to more than 8 MiB" in str(result["outcome"]), result
    assert float(result["grown_mb"]) < 100, result  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("columns", "rows", "reason"),
    [
        # Within the unpacked limit, but more cells than any form: counted once read.
        (190, 1600, "more than 300,000 cells in all (at the survey sheet, row 1580)"),
        (250, 1, "survey sheet: more than 200 columns"),
    ],
    ids=["many-cells", "wide"],
)
def test_sheets_too_large_to_be_forms_are_refused_by_count(
    columns: int, rows: int, reason: str, tmp_path: Path
) -> None:
    header, body = wide_rows(columns, rows)
    path = workbook(tmp_path / "big.xlsx", body, WIDE_STRINGS, header=header)
    result = measured(path)
    assert reason in str(result["outcome"]), result
    assert float(result["grown_mb"]) < 100, result  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (Limits(seconds=1), "reading it took more than 1 s"),
        (Limits(memory=160 * 2**20), "reading it needed more than 160 MiB"),
    ],
    ids=["time", "memory"],
)
def test_a_reader_that_outgrows_its_cage_is_stopped_and_refused(
    limits: Limits, reason: str, tmp_path: Path
) -> None:
    """Just within every count (199 columns, 298,500 cells), so only the cage can stop it;
    this workbook takes pyxform seconds and hundreds of MiB."""
    header, body = wide_rows(199, 1500)
    path = workbook(tmp_path / "slow.xlsx", body, WIDE_STRINGS, header=header)
    with pytest.raises(Refused, match=reason):
        parse(path.read_bytes(), "slow.xlsx", limits)
    # The cage's server survives a child it stopped: the next form reads.
    small = write(HEALTH, tmp_path / "small.xlsx").read_bytes()
    assert "form" in parse(small, "small.xlsx", Limits())


@pytest.mark.parametrize(
    "error",
    [
        ParseError("out of memory: line 1, column 0"),  # expat, inside an .xlsx's XML
        zlib.error("Error -4 while decompressing data: insufficient memory"),
        MemoryError(),
    ],
    ids=["expat", "zlib", "python"],
)
def test_memory_running_out_inside_a_reader_is_told_as_the_memory_limit(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """A reader written in C says it ran out in an error of its own: that is the cage's memory
    limit, not a file pyxform cannot read (seen in CI: 'pyxform cannot read it (ParseError)')."""

    def fails_with(raised: Exception) -> None:
        def read(data: bytes, kind: str) -> dict[str, object]:
            raise raised

        monkeypatch.setattr(child, "read", read)

    fails_with(error)
    with pytest.raises(MemoryError):
        child.run(b"", "xlsx")
    fails_with(ParseError("x"))  # a malformed file stays a file pyxform cannot read
    assert child.run(b"", "xlsx") == {"refused": "pyxform cannot read it (ParseError)"}


def test_a_cell_too_long_is_refused_by_sheet_row_and_column(tmp_path: Path) -> None:
    row = '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
    path = workbook(tmp_path / "long.xlsx", [row], ("text", "x" * 20_000))
    result = measured(path)
    assert "survey sheet, row 2, column 'name': a cell longer than 10,000" in str(result["outcome"])


def test_the_cli_refuses_a_bomb_in_one_line_with_exit_2(run_cli: RunCli, label_bomb: Path) -> None:
    result = run_cli("surveys", "import", label_bomb)
    assert result.exit_code == 2
    assert "unpacks to more than" in result.output and "Traceback" not in result.output
