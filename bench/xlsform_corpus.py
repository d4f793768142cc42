"""Measure XLSForm import against a corpus of real forms (issue 30).

    .venv/bin/python bench/xlsform_corpus.py DIR [DIR...] [--verbose]

Every ``.xlsx``, ``.xls`` and ``.csv`` under the folders is given to pyxform (the reference:
``pyxform.xls2xform.convert``, without ODK Validate) and to Glas (``glas surveys import``'s
reader, attached files beside the form offered as attachments). Prints, per folder and in all:
how many forms pyxform accepts, how many of those Glas imports (published-ready or as a draft
awaiting files), how many it refuses and why (grouped by the first words of the reason), and
crashes (any exception but a refusal). Forms pyxform refuses must be refused by Glas too.
Where a folder holds ``name.xls`` and ``name.xlsx``, both must give the same survey.

The corpus is not in the repository (its forms belong to their authors): fetch it, and list
its sources and licences beside it.
"""

from __future__ import annotations

import collections
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys import SurveyDefinitionError
from surveys.xlsform import import_xlsform

SUFFIXES = (".xlsx", ".xls", ".csv")


def pyxform_accepts(path: Path) -> tuple[bool, str]:
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        convert(xlsform=str(path), warnings=[])
    except PyXFormError as e:
        return False, str(e).splitlines()[0][:120] if str(e) else type(e).__name__
    except Exception as e:  # pyxform's own crash on a form counts as not accepted
        return False, f"pyxform crashed: {type(e).__name__}"
    return True, ""


def attachments(path: Path) -> dict[str, bytes]:
    """Data files beside the form (CSV, XML, GeoJSON): what an organizer would attach."""
    found = {}
    for other in path.parent.iterdir():
        if other.suffix.lower() in (".csv", ".xml", ".geojson") and other != path:
            found[other.name.split("__")[-1]] = other.read_bytes()
    return found


def glas_reads(path: Path) -> tuple[str, str, object]:
    """('imported'|'draft'|'refused'|'crashed', reason, survey or None)."""
    try:
        imported = import_xlsform(path.read_bytes(), path.name, attachments=attachments(path))
    except SurveyDefinitionError as e:
        return "refused", e.lines()[0] if e.lines() else "", None
    except Exception:
        return "crashed", traceback.format_exc(limit=3).splitlines()[-1], None
    missing = imported.missing_files
    return ("draft" if missing else "imported"), ", ".join(missing), imported.survey


def reason_key(reason: str) -> str:
    words = reason.split(": ", 1)[-1].split()
    return " ".join(words[:6])


def main() -> None:
    verbose = "--verbose" in sys.argv
    folders = [Path(a) for a in sys.argv[1:] if not a.startswith("--")]
    totals: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    for folder in folders:
        counts: collections.Counter[str] = collections.Counter()
        surveys: dict[str, dict[str, object]] = collections.defaultdict(dict)
        for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES):
            accepted, why = pyxform_accepts(path)
            outcome, reason, survey = glas_reads(path)
            counts["forms"] += 1
            if accepted:
                counts["pyxform accepts"] += 1
                counts[f"accepted, Glas {outcome}"] += 1
                if outcome in ("refused", "crashed"):
                    reasons[reason_key(reason)] += 1
                    if verbose:
                        print(f"  {outcome}: {path.name}: {reason}")
                if survey is not None:
                    surveys[path.stem][path.suffix.lower()] = survey
            else:
                counts["pyxform refuses"] += 1
                counts[f"pyxform refuses, Glas {outcome}"] += 1
                if verbose and outcome != "refused":
                    print(f"  pyxform refuses ({why}) but Glas {outcome}: {path.name}")
        for stem, by_suffix in surveys.items():
            if ".xls" in by_suffix and ".xlsx" in by_suffix:
                counts["xls/xlsx pairs"] += 1
                same = by_suffix[".xls"].canonical() == by_suffix[".xlsx"].canonical()  # type: ignore[attr-defined]
                counts["xls/xlsx pairs the same" if same else "xls/xlsx pairs differing"] += 1
                if verbose and not same:
                    print(f"  .xls and .xlsx differ: {stem}")
        print(f"{folder}:")
        for key, value in sorted(counts.items()):
            print(f"  {key}: {value}")
        totals.update(counts)
    print("all folders:")
    for key, value in sorted(totals.items()):
        print(f"  {key}: {value}")
    if reasons:
        print("refusals of forms pyxform accepts, by reason:")
        for reason, count in reasons.most_common():
            print(f"  {count:3d}  {reason}")


if __name__ == "__main__":
    main()
