"""pyxform's own test cases, imported into Glas (issue 30, acceptance 1).

Each of the 739 markdown tables of pyxform's test suite (tests/data/pyxform, BSD licence beside
it) is read as pyxform reads it, then imported: every form pyxform refuses is refused; every form
pyxform accepts imports (or waits for its media files), unless Glas refuses it for one of the
reasons below, each named by issue 30; nothing raises anything else. The counts are printed
(``pytest -s``) and are in the closing note.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest
from pyxform.xls2json_backends import md_table_to_workbook
from pyxform.xls2xform import convert

from surveys.errors import SurveyDefinitionError
from surveys.xlsform import import_xlsform

CASES = json.loads((Path(__file__).parent / "data/pyxform/cases.json").read_text("utf-8"))
CHUNKS = 4
#: Why Glas may refuse a form pyxform accepts: what would lose its meaning here.
GLAS_REASONS = {
    # Only location, device or audit rows: nothing is left once they are set aside.
    "nothing to ask": re.compile(r"nothing is left to ask"),
    # ODK Collect's previous submission on the phone: Glas keeps none.
    "last-saved": re.compile(r"last-saved#"),
    # indexed-repeat() into a repeat inside a repeat (five arguments).
    "nested indexed-repeat": re.compile(r"indexed-repeat\(\) takes 3 value"),
}


def workbook(md: str) -> bytes | None:
    try:
        book = md_table_to_workbook(md)
    except Exception:  # a table pyxform's own reader cannot read: not a form
        return None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pyxform_accepts(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            convert(xlsform=io.BytesIO(data), file_type=".xlsx", validate=False, warnings=[])
        except Exception:
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_pyxforms_own_cases_import_or_are_refused_for_a_named_reason(chunk: int) -> None:
    counts: Counter[str] = Counter()
    unexplained: list[str] = []
    for case in CASES[chunk::CHUNKS]:
        data = workbook(case["md"])
        if data is None:
            counts["not a table pyxform reads"] += 1
            continue
        accepted = pyxform_accepts(data)
        try:
            imported = import_xlsform(data, "case.xlsx")
        except SurveyDefinitionError as e:
            if not accepted:
                counts["pyxform refuses, Glas refuses"] += 1
                continue
            reason = next((n for n, p in GLAS_REASONS.items() if p.search(str(e))), None)
            counts[f"pyxform accepts, Glas refuses: {reason}"] += 1
            if reason is None:
                unexplained.append(f"{case['case']}: {e}")
            continue
        if not accepted:
            unexplained.append(f"{case['case']}: pyxform refuses it, Glas imported it")
        kind = "imported" if imported.survey is not None else "a draft awaiting files"
        counts[f"pyxform accepts, Glas: {kind}"] += 1
    print(f"pyxform cases, chunk {chunk + 1} of {CHUNKS}:", dict(sorted(counts.items())))
    assert not unexplained, "\n".join(unexplained)
    assert sum(counts.values()) == len(CASES[chunk::CHUNKS])
