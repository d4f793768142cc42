"""A streaming XLSX writer: just enough SpreadsheetML for tables of text and numbers.

Why not a library: xlsxwriter (constant-memory mode) and openpyxl (write-only) spend about
3 µs per cell in Python, ten seconds for 100,000 submissions of 34 columns, all in the one
process that must also write everything else. Here a row's XML is a string made where the row
is rendered, in the decrypting workers (:func:`row_xml`), and this process only deflates it
into the zip. Rows and cells carry no ``r`` positions (optional in ECMA-376: they follow one
another), so a worker needs to know nothing of where its rows land. Text is inline (no shared
string table to build), escaped for XML, stripped of characters XML 1.0 cannot carry, and cut to
Excel's 32,767 characters per cell.
"""

from __future__ import annotations

import functools
import math
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

#: Excel's longest cell text.
MAX_CELL_TEXT = 32767
#: What Excel accepts as a sheet name: 31 characters, none of these.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Characters XML 1.0 cannot contain at all (C0 controls but tab, newline and return; lone
#: surrogates; U+FFFE and U+FFFF).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
{sheets}</Types>"""
SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n'
)
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>{sheets}</sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
{sheets}<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
SHEET_END = "</sheetData></worksheet>"
EMPTY_CELL = "<c/>"


@functools.lru_cache(maxsize=4096)  # choice labels repeat in every row: escape each once
def text_cell(value: str) -> str:
    return f'<c t="inlineStr"><is>{_text(value)}</is></c>'


def _text(value: str) -> str:
    """A <t> element: escaped, cleaned of what XML cannot carry, cut to Excel's limit, and
    marked to keep its spaces only where it has spaces to lose."""
    if len(value) > MAX_CELL_TEXT:
        value = value[: MAX_CELL_TEXT - 1] + "…"
    text = escape(NOT_XML.sub("\ufffd", value))
    if value != value.strip() or "\n" in value:
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def row_xml(cells: Iterable[Any], shared: dict[str, int] | None = None) -> str:
    """One row: ints and finite floats as numbers, None and "" as empty cells, text in
    ``shared`` (the choice labels, which fill most cells) by its index there, other text
    inline. The common cases come first: this runs for every cell of every submission."""
    parts: list[str] = []
    append = parts.append
    strings = shared or {}
    for value in cells:
        kind = type(value)
        if kind is str:
            index = strings.get(value)
            if index is not None:
                append(f'<c t="s"><v>{index}</v></c>')
            else:
                append(text_cell(value) if value else EMPTY_CELL)
        elif value is None:
            append(EMPTY_CELL)
        elif kind is int or (kind is float and math.isfinite(value)):
            append(f"<c><v>{value!r}</v></c>")
        else:
            append(text_cell(str(value)))
    return "<row>" + "".join(parts) + "</row>"


def sheet_name(name: str, taken: set[str]) -> str:
    base = SHEET_NAME_FORBIDDEN.sub("_", NOT_XML.sub("", name)).strip("'")[:31] or "Sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    taken.add(candidate.lower())
    return candidate


class Workbook:
    """Sheets written one after the other, each row by row (only one is open at a time)."""

    def __init__(self, path: Path, shared: list[str] | None = None) -> None:
        """``shared``: the strings rows may name by index (see :func:`row_xml`)."""
        self.path = path
        self.shared = list(shared or [])
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []
        self._taken: set[str] = set()
        self._sheet: IO[bytes] | None = None

    def add_sheet(self, name: str) -> None:
        self._end_sheet()
        self._names.append(sheet_name(name, self._taken))
        part = f"xl/worksheets/sheet{len(self._names)}.xml"
        self._sheet = self._zip.open(part, "w", force_zip64=True)
        self._sheet.write(SHEET_START.encode())

    def write_rows(self, xml: str) -> None:
        """Rows made by :func:`row_xml` (one or many, joined)."""
        assert self._sheet is not None
        self._sheet.write(xml.encode("utf-8"))

    def _end_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(SHEET_END.encode())
            self._sheet.close()
            self._sheet = None

    def close(self) -> None:
        self._end_sheet()
        sheets = range(1, len(self._names) + 1)
        types = "".join(SHEET_TYPE.format(n=n) for n in sheets)
        self._zip.writestr("[Content_Types].xml", CONTENT_TYPES.format(sheets=types))
        self._zip.writestr("_rels/.rels", ROOT_RELS)
        entries = "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in zip(sheets, self._names, strict=True)
        )
        self._zip.writestr("xl/workbook.xml", WORKBOOK.format(sheets=entries))
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>\n'
            for n in sheets
        )
        self._zip.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(sheets=rels))
        self._zip.writestr("xl/styles.xml", STYLES)
        items = "".join(f"<si>{_text(text)}</si>" for text in self.shared)
        self._zip.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(self.shared)}" uniqueCount="{len(self.shared)}">{items}</sst>',
        )
        self._zip.close()
