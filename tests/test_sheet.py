"""The streaming XLSX writer: whatever text a hostile bundle holds, the workbook stays valid,
says exactly that text (within Excel's limits), and never holds a formula."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from reviewer.sheet import MAX_CELL_TEXT, Workbook, row_xml, sheet_name

from .conftest import examples

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def write(path: Path, rows: list[list[object]], name: str = "answers") -> Path:
    book = Workbook(path)
    book.add_sheet(name)
    book.write_rows("".join(row_xml(row) for row in rows))
    book.add_sheet("codebook")
    book.write_rows(row_xml(["column", "question"]))
    book.close()
    return path


def test_text_numbers_and_gaps_read_back_as_written(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["id", "n", "label", "gap", "x"],
        ["a1", 4, "Под 25 & <b>", None, 2.5],
        ["a2", 0, '=HYPERLINK("http://evil")', "", -3],
    ]
    book = load_workbook(write(tmp_path / "a.xlsx", rows), read_only=True)
    read = [list(r) for r in book["answers"].iter_rows(values_only=True)]
    assert book.sheetnames == ["answers", "codebook"]
    book.close()
    assert read[1] == ["a1", 4, "Под 25 & <b>", None, 2.5]
    assert read[2][2] == '=HYPERLINK("http://evil")' and read[2][4] == -3  # text, not a formula
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no cell of ours is ever a formula


def test_what_xml_cannot_carry_is_replaced_and_long_text_is_cut(tmp_path: Path) -> None:
    hostile = "a\x00b\x1bc\ud800d\ufffe" + "x" * (MAX_CELL_TEXT + 10)
    book = load_workbook(
        write(tmp_path / "h.xlsx", [[hostile, math.inf, math.nan]]), read_only=True
    )
    (row,) = [list(r) for r in book["answers"].iter_rows(values_only=True)]
    book.close()
    assert row[0].startswith("a\ufffdb\ufffdc\ufffdd\ufffd") and len(row[0]) == MAX_CELL_TEXT
    assert row[1:] == ["inf", "nan"]  # not numbers a spreadsheet could take for real ones


def test_sheet_names_are_made_legal_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_name("a/b:c*d?[e]", taken) == "a_b_c_d__e_"
    long = "x" * 40
    assert sheet_name(long, taken) == "x" * 31
    assert sheet_name(long, taken) == "x" * 29 + "_2"
    assert sheet_name("", taken) == "Sheet"


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.text(), st.integers(-(2**53), 2**53), st.none()), max_size=8))
def test_any_row_is_well_formed_xml(cells: list[object]) -> None:
    xml = f'<sheetData xmlns="{NS[1:-1]}">{row_xml(cells)}</sheetData>'
    root = ElementTree.fromstring(xml)  # noqa: S314 - our own output, parsed to check it
    (row,) = root
    assert len(row) == len(cells)


def test_shared_strings_read_back_as_their_text(tmp_path: Path) -> None:
    shared = ["Legal advice", "Под 25 & <b>"]
    book = Workbook(tmp_path / "s.xlsx", shared)
    book.add_sheet("answers")
    index = {text: i for i, text in enumerate(shared)}
    book.write_rows(row_xml(["Под 25 & <b>", "Legal advice", "free text", 1], index))
    book.close()
    read = load_workbook(tmp_path / "s.xlsx", read_only=True)
    assert [list(r) for r in read["answers"].iter_rows(values_only=True)] == [
        ["Под 25 & <b>", "Legal advice", "free text", 1]
    ]
    read.close()
