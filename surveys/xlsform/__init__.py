"""Read XLSForm workbooks (ODK, KoboToolbox) into survey definitions, through pyxform.

Organizers often have a needs assessment in XLSForm already. pyxform, the reference reader
maintained by ODK, reads the workbook (``.xlsx``, ``.xls`` or ``.csv``) in a cage
(:mod:`.cage`); its normalised form becomes the same mapping a YAML definition gives
(:mod:`.reading`) and is checked by :class:`~surveys.loader.DefinitionReader`, so both formats
obey one set of rules. Everything pyxform accepts imports, or is refused by sheet, row and
column for a reason of Glas's own: the rows that would identify or locate a respondent are set
aside on purpose, with a warning like everything else Glas does not use.

A form whose choices are in a file (``select_one_from_file``) imports with the file attached;
without it, it imports as a draft that names the file and cannot be published.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ..document import Located, LocatedList
from ..errors import Problem, SurveyDefinitionError
from ..expressions import ExpressionError, columns, parse
from ..loader import DefinitionReader
from ..model import Survey
from .cage import Limits, Refused
from .cage import parse as read_workbook
from .limits import MAX_ATTACHMENTS
from .reading import FormReader

#: What a workbook may be called: Excel's two formats, and pyxform's CSV layout.
XLSFORM_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


@dataclass(frozen=True)
class ImportedForm:
    """An imported form: the survey, or (while files are missing) the draft to keep."""

    definition: dict[str, Any]
    survey: Survey | None
    warnings: list[str] = field(default_factory=list)
    missing_files: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


def import_xlsform(
    data: bytes,
    source: str = "form.xlsx",
    attachments: dict[str, bytes] | None = None,
    limits: Limits | None = None,
) -> ImportedForm:
    """Read a workbook and the files attached to it; raise :class:`SurveyDefinitionError`
    listing every problem by sheet, row and column."""
    attachments = dict(attachments or {})
    if len(attachments) > MAX_ATTACHMENTS:
        _refuse(source, f"more than {MAX_ATTACHMENTS} files attached")
    try:
        parsed = read_workbook(data, source, limits or Limits())
    except Refused as e:
        _refuse(source, str(e))
    reader = FormReader(parsed, source, attachments)
    definition = reader.definition()
    if reader.notes.problems:
        raise SurveyDefinitionError(source, reader.notes.problems)
    missing = tuple(reader.lists.missing)
    warnings = [f"{source}: {w}" for w in reader.notes.warnings]
    for name in sorted(set(attachments) - reader.lists.used_files):
        warnings.append(f"{source}: the attached file {name} is not used by any question")
    checked = _with_placeholders(definition) if missing else definition
    survey = _checked(checked, source)
    languages = tuple(survey.languages)
    return ImportedForm(
        definition=_plain(definition) if missing else survey.to_dict(),
        survey=None if missing else survey,
        warnings=warnings,
        missing_files=missing,
        languages=languages,
    )


def read_xlsform_with_warnings(
    data: bytes, source: str = "form.xlsx", attachments: dict[str, bytes] | None = None
) -> tuple[Survey, list[str]]:
    """The survey and what was set aside (one line per warning, by sheet, row and column);
    a form still waiting for an attached file is refused, naming the file."""
    imported = import_xlsform(data, source, attachments)
    if imported.survey is None:
        names = ", ".join(imported.missing_files)
        _refuse(source, f"needs the attached file(s) {names}: attach them to import it")
    return imported.survey, imported.warnings


def read_xlsform(data: bytes, source: str = "form.xlsx") -> Survey:
    return read_xlsform_with_warnings(data, source)[0]


def load_xlsform_with_warnings(path: Path) -> tuple[Survey, list[str]]:
    try:
        data = path.read_bytes()
    except OSError as e:
        _refuse(str(path), f"cannot read: {e.strerror}")
    return read_xlsform_with_warnings(data, path.name)


def load_xlsform(path: Path) -> Survey:
    return load_xlsform_with_warnings(path)[0]


def _checked(definition: Located, source: str) -> Survey:
    try:
        return DefinitionReader(source).survey(definition)
    except SurveyDefinitionError as e:
        # The reader's lines are rows of the survey sheet: say so, as our own problems do.
        problems = [
            Problem(0, f"survey sheet, row {p.line}: {p.message}" if p.line else p.message)
            for p in e.problems
        ]
        raise SurveyDefinitionError(source, problems) from None


def _with_placeholders(definition: Located) -> Located:
    """The definition with a stand-in choice for each list still in a file: everything else
    in the form is checked now, not after the file arrives."""
    checked = copy.deepcopy(definition)
    for question in checked.get("questions", []):
        if question.get("choices_file") and not question.get("choices"):
            stand_in = Located(name="-", label="-")
            stand_in.line, stand_in.key_lines = question.line, {"name": question.line}
            if question.get("choice_filter"):
                with contextlib.suppress(ExpressionError):
                    read = columns(parse(question["choice_filter"], allow_columns=True))
                    stand_in["columns"] = dict.fromkeys(sorted(read - {"name"}), "")
            listed = LocatedList([stand_in])
            listed.line = question.line
            question["choices"] = listed
            question.key_lines["choices"] = question.line
            del question["choices_file"]
    return checked


def _plain(value: Any) -> Any:
    """A definition as plain JSON-able data (the draft a designer keeps)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _refuse(source: str, message: str) -> NoReturn:
    raise SurveyDefinitionError(source, [Problem(0, message)])
