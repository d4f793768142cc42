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

import datetime
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
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
#: The header rows stay in view while scrolling (a pane frozen below them).
FROZEN = (
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="{rows}" topLeftCell="A{first}" '
    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
    "</sheetViews>"
)
EMPTY_CELL = "<c/>"
#: Styles (cellXfs in STYLES): a day, a day with a time, a header of texts (bold, wrapped),
#: a header of column names (bold).
DAY_STYLE, MOMENT_STYLE, LABEL_STYLE, NAME_STYLE = 1, 2, 3, 4
#: Where Excel's (and LibreOffice's) day numbers start: 1900-03-01 is day 61.
EPOCH = datetime.date(1899, 12, 30)
#: Column widths, in characters: wide enough for a short question, never a whole story.
NARROWEST, WIDEST = 8, 40


class Day(str):
    """An ISO day (YYYY-MM-DD) as text in the CSV, and as a date a spreadsheet can sort,
    filter and count by in the XLSX."""

    __slots__ = ()


class Moment(str):
    """A day with a time (YYYY-MM-DDTHH:MM), as :class:`Day` is for a day."""

    __slots__ = ()


def day_cell(value: str, style: int) -> str:
    """A date cell: the day number (with the time as a fraction), or the text as it is when
    it is not a real day (the answers were checked, but a table never trusts that)."""
    try:
        if style == DAY_STYLE:
            serial: float = (datetime.date.fromisoformat(value) - EPOCH).days
        else:
            moment = datetime.datetime.fromisoformat(value)
            days = (moment.date() - EPOCH).days
            serial = days + (moment.hour * 60 + moment.minute) / 1440
    except ValueError:
        return text_cell(value)
    return f'<c s="{style}"><v>{serial!r}</v></c>'


def column_letters(n: int) -> str:
    """The letters of the n-th column (1 → A, 27 → AA)."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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
        elif kind is Day:
            append(day_cell(value, DAY_STYLE))
        elif kind is Moment:
            append(day_cell(value, MOMENT_STYLE))
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


def _styled_row(cells: list[str], style: int) -> str:
    return (
        "<row>"
        + "".join(f'<c s="{style}" t="inlineStr"><is>{_text(c)}</is></c>' for c in cells)
        + "</row>"
    )


def _widths(names: list[str], texts: list[str]) -> str:
    """Each column as wide as its name, or a third of its text (which wraps), within bounds."""
    cols = []
    for n, (name, text) in enumerate(zip(names, texts, strict=True), 1):
        width = min(WIDEST, max(NARROWEST, len(name) + 2, len(text) // 3 + 2))
        cols.append(f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>')
    return "<cols>" + "".join(cols) + "</cols>"


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
        self._rows = 0
        #: The last column and the header row of the open sheet's filter, if it has one.
        self._filter: tuple[str, int] | None = None

    def add_sheet(
        self, name: str, names: list[str] | None = None, texts: list[str] | None = None
    ) -> None:
        """Start a sheet. With ``names`` (its columns), it opens as an analyst expects: the
        column names as a header row (above it, with ``texts``, what each column means),
        frozen in view, with a filter on every column and widths that fit the texts."""
        self._end_sheet()
        self._names.append(sheet_name(name, self._taken))
        part = f"xl/worksheets/sheet{len(self._names)}.xml"
        self._sheet = self._zip.open(part, "w", force_zip64=True)
        self._sheet.write(SHEET_START.encode())
        self._rows, self._filter = 0, None
        if names:
            header_rows = 2 if texts else 1
            self._sheet.write(FROZEN.format(rows=header_rows, first=header_rows + 1).encode())
            self._sheet.write(_widths(names, texts or names).encode())
        self._sheet.write(b"<sheetData>")
        if names:
            if texts:
                self.write_rows(_styled_row(texts, LABEL_STYLE))
            self.write_rows(_styled_row(names, NAME_STYLE))
            self._filter = (column_letters(len(names)), self._rows)

    def write_rows(self, xml: str) -> None:
        """Rows made by :func:`row_xml` (one or many, joined)."""
        assert self._sheet is not None
        self._sheet.write(xml.encode("utf-8"))
        self._rows += xml.count("<row>")

    def _end_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(b"</sheetData>")
            if self._filter is not None:
                last, header = self._filter
                area = f"A{header}:{last}{max(self._rows, header)}"
                self._sheet.write(f'<autoFilter ref="{area}"/>'.encode())
            self._sheet.write(b"</worksheet>")
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
