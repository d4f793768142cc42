"""Read XLSForm workbooks (ODK, KoboToolbox) into survey definitions.

Organizers often have a needs assessment in XLSForm already. The workbook is turned into the
same mappings a YAML definition gives and read by :class:`~surveys.loader.DefinitionReader`,
so both formats obey one set of rules.

Forms are read as real tools write them (every spelling of translated columns, language names
or codes) and what Glas does not use is set aside with a warning, by sheet, row and column:
settings, attribute and media columns, presentation appearances, and — on purpose — the rows
that would identify a respondent or record where and when they answered (GPS, device ids,
start/end times; Kobo adds start and end to every new form). Only what cannot keep its meaning
is refused, by sheet, row and column, saying why; nothing is dropped silently.

Glas reads a few columns of its own beyond XLSForm's (``min``, ``max``, ``min_length``,
``max_length``, ``max_files``, ``accept``, ``low_label``, ``high_label``) and two settings
(``kind``, ``replies``), so an exported workbook comes back as the same definition.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from .document import Located, LocatedList
from .errors import Problem, SurveyDefinitionError
from .expressions import ExpressionError, columns, parse
from .loader import DefinitionReader
from .model import MAX_SCALE_POINTS, QUESTION_LIMITS, QUESTION_RULES, Survey
from .xlsform_languages import language_code
from .xlsform_limits import (
    MAX_CELL_LENGTH,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_WORKBOOK_BYTES,
    archive_problem,
)
from .xlsform_vocabulary import (
    CHOICE_COLUMNS,
    CONTROL_ALIASES,
    FALSE_WORDS,
    FROM_FILE,
    IDENTIFYING_CALCULATION,
    IDENTIFYING_TYPES,
    MEDIA_COLUMNS,
    MEDIA_TYPES,
    PLAIN_TYPES,
    PRESENTATION_APPEARANCES,
    REFUSED_TYPES,
    SETTINGS_COLUMNS,
    SURVEY_COLUMNS,
    SURVEY_HEADER_ALIASES,
    TEXT_LIKE_TYPES,
    TRANSLATABLE,
    TRANSLATED_COLUMN,
    TRUE_WORDS,
    TYPE_ALIASES,
    cell_number,
    cell_text,
    column_name,
    is_yes_no,
    slug,
)


def load_xlsform(path: Path) -> Survey:
    return load_xlsform_with_warnings(path)[0]


def load_xlsform_with_warnings(path: Path) -> tuple[Survey, list[str]]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SurveyDefinitionError(str(path), [Problem(0, f"cannot read: {e.strerror}")]) from e
    return read_xlsform_with_warnings(data, path.name)


def read_xlsform(data: bytes, source: str = "form.xlsx") -> Survey:
    """Read an XLSForm workbook; raise :class:`SurveyDefinitionError` listing every problem
    (the line numbers are rows of the ``survey`` sheet unless a message names another sheet)."""
    return read_xlsform_with_warnings(data, source)[0]


def read_xlsform_with_warnings(data: bytes, source: str = "form.xlsx") -> tuple[Survey, list[str]]:
    """:func:`read_xlsform`, and what was set aside: one line per warning, by sheet, row and
    column, for the organizer to read before publishing."""
    workbook = _Workbook(data, source)
    survey = workbook.survey()
    return survey, [f"{source}: {w}" for w in workbook.warnings]


class _Workbook:
    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self._warned: set[tuple[str, str]] = set()
        if len(data) > MAX_WORKBOOK_BYTES:
            self._fail(f"larger than the {MAX_WORKBOOK_BYTES // 1024 // 1024} MiB limit")
        problem = archive_problem(data)
        if problem:
            self._fail(problem)
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as e:
            self._fail(f"not an .xlsx workbook ({type(e).__name__})")
        try:
            sheets = {name.strip().lower(): book[name] for name in book.sheetnames}
            if "survey" not in sheets:
                self._fail("has no 'survey' sheet")
            self.cells = 0
            self.rows = {name: self._read_rows(name, sheet) for name, sheet in sheets.items()}
        except SurveyDefinitionError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, SyntaxError) as e:
            # openpyxl trusts the file's XML (a shared string that is not there, a broken tag):
            # whatever it raises on a damaged or crafted workbook is a refusal, not a crash.
            self._fail(f"not an .xlsx workbook Glas can read ({type(e).__name__})")
        finally:
            book.close()

    def _read_rows(self, name: str, sheet: Any) -> list[tuple[int, dict[str, Any]]]:
        """The sheet's rows, refusing sheets too wide, too full or with too long a cell."""
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1)
        header = next(rows, None)
        if header is None:
            return []
        if len(header) > MAX_COLUMNS and header[MAX_COLUMNS] is not None:
            self._fail(f"{name} sheet: more than {MAX_COLUMNS} columns")
        aliases = SURVEY_HEADER_ALIASES if name == "survey" else None
        names = [column_name(h, aliases) for h in header[:MAX_COLUMNS]]
        found = []
        for number, values in enumerate(rows, start=2):
            if len(values) > MAX_COLUMNS and values[MAX_COLUMNS] is not None:
                self._fail(f"{name} sheet, row {number}: more than {MAX_COLUMNS} columns")
            # Cells up to the row's last value (read-only rows come padded to max_col).
            self.cells += next(
                (i + 1 for i in range(len(values) - 1, -1, -1) if values[i] is not None), 0
            )
            if self.cells > MAX_CELLS:
                self._fail(
                    f"more than {MAX_CELLS:,} cells in all (at the {name} sheet, row {number})"
                )
            for column, value in zip(names, values, strict=False):
                if isinstance(value, str) and len(value) > MAX_CELL_LENGTH:
                    where = f"{name} sheet, row {number}, column '{column}'"
                    self._fail(f"{where}: a cell longer than {MAX_CELL_LENGTH:,} characters")
            row = {n: v for n, v in zip(names, values, strict=False) if n and v is not None}
            if row:
                found.append((number, row))
        return found

    def _fail(self, message: str) -> Any:
        raise SurveyDefinitionError(self.source, [Problem(0, message)])

    def problem(self, sheet: str, row: int, column: str, message: str) -> None:
        where = f"{sheet} sheet, row {row}" + (f", column '{column}'" if column else "")
        self.problems.append(Problem(0, f"{where}: {message}"))

    def warn(self, sheet: str, row: int, column: str, message: str, once: str = "") -> None:
        """Something set aside. With ``once``, only its first place is named (a column used
        on every row is one warning, not hundreds)."""
        if once:
            if (sheet, once) in self._warned:
                return
            self._warned.add((sheet, once))
        where = f"{sheet} sheet, row {row}" + (f", column '{column}'" if column else "")
        self.warnings.append(f"{where}: {message}")

    def survey(self) -> Survey:
        settings = self._settings()
        language = self._language(settings)
        choices = self._choices(language)
        form_id = settings.get("form_id") or slug(Path(self.source).stem)
        data = Located(id=form_id, title=settings.get("form_title") or form_id, language=language)
        data.line, data.key_lines = 1, dict.fromkeys(("id", "title", "language"), 1)
        for key in ("description", "kind"):
            if settings.get(key):
                _put(data, key, settings[key], 1)
        if settings.get("replies"):
            _put(data, "replies", self._flag("settings", 2, "replies", settings["replies"]), 1)
        words = settings.get("style", "").split()
        for word in words:
            if word != "pages":  # Enketo's themes: how the form looks, not what it asks
                self.warn("settings", 2, "style", f"'{word}' set aside: a presentation style")
        if "pages" in words:
            _put(data, "pages", True, 1)
        questions, groups = self._questions(language, choices)
        _put(data, "questions", questions, 1)
        if groups:
            _put(data, "groups", groups, 1)
        if self.problems:
            raise SurveyDefinitionError(self.source, self.problems)
        try:
            return DefinitionReader(self.source).survey(data)
        except SurveyDefinitionError as e:
            # The reader's lines are rows of the survey sheet: say so, as our own problems do.
            problems = [
                Problem(0, f"survey sheet, row {p.line}: {p.message}" if p.line else p.message)
                for p in e.problems
            ]
            raise SurveyDefinitionError(self.source, problems) from None

    def _settings(self) -> dict[str, str]:
        rows = self.rows.get("settings", [])
        if not rows:
            return {}
        row_number, row = rows[0]
        for column, value in row.items():
            base = column.split("::")[0]
            if base not in SETTINGS_COLUMNS and cell_text(value):
                self.warn(
                    "settings",
                    row_number,
                    column,
                    "ignored: a setting for ODK or Kobo, not used by Glas",
                )
        return {k: str(v).strip() for k, v in row.items() if v is not None}

    def _language(self, settings: dict[str, str]) -> str:
        """The form's own language: default_language (a name or a code), else the first
        language of the labels when none is plain, else English."""
        named = settings.get("default_language", "")
        if named:
            code = language_code(named)
            if not code:
                self.problem(
                    "settings", 2, "default_language",
                    f"'{named}' is no language Glas knows: write it with its code, as "
                    "'Name (xx)'",
                )  # fmt: skip
            return code or "en"
        header = [name for _number, row in self.rows.get("survey", []) for name in row]
        if "label" in header:
            return "en"
        for name in header:
            match = TRANSLATED_COLUMN.match(name)
            if match and match.group("base") == "label":
                code = language_code(name.split("::", 1)[1])
                if code:
                    return code
        return "en"

    def _filter_columns(self) -> set[str]:
        """The choices-sheet columns some choice_filter reads: kept with each choice. (A filter
        that cannot be parsed is reported where the definition is read.)"""
        found: set[str] = set()
        for _number, row in self.rows.get("survey", []):
            text = cell_text(row.get("choice_filter"))
            if text:
                with contextlib.suppress(ExpressionError):
                    found |= columns(parse(text, allow_columns=True))
        return found - {"name"}

    def _choices(self, language: str) -> dict[str, LocatedList]:
        lists: dict[str, LocatedList] = {}
        kept = self._filter_columns()
        for row_number, row in self.rows.get("choices", []):
            self._unsupported_columns("choices", row_number, row, CHOICE_COLUMNS | kept)
            list_name = cell_text(row.get("list_name"))
            if not list_name:
                continue
            choice = Located(name=cell_text(row.get("name")))
            choice.line, choice.key_lines = row_number, {"name": row_number}
            _put(choice, "label", self._translatable(row, "label", language), row_number)
            extra = {k: cell_text(row.get(k)) for k in sorted(kept) if cell_text(row.get(k))}
            if extra:
                _put(choice, "columns", extra, row_number)
            found = lists.setdefault(list_name, LocatedList())
            found.line = getattr(found, "line", row_number)
            found.append(choice)
        return lists

    def _questions(
        self, language: str, choices: dict[str, LocatedList]
    ) -> tuple[LocatedList, LocatedList]:
        questions, groups = LocatedList(), LocatedList()
        questions.line = groups.line = 1
        stack: list[tuple[str, str]] = []  # (name, "begin group" or "begin repeat")
        for row_number, row in self.rows["survey"]:
            kind = " ".join(cell_text(row.get("type")).split())
            kind = TYPE_ALIASES.get(kind, kind)
            kind = CONTROL_ALIASES.get(kind, kind)
            if not kind:
                if any(cell_text(v) for v in row.values()):
                    self.problem("survey", row_number, "type", "a row with text needs a type")
                continue
            self._unsupported_columns("survey", row_number, row, SURVEY_COLUMNS)
            if kind in ("end group", "end repeat"):
                opened = "begin repeat" if kind == "end repeat" else "begin group"
                if not stack or stack[-1][1] != opened:
                    self.problem("survey", row_number, "type", f"'{kind}' without '{opened}'")
                else:
                    stack.pop()
                continue
            if kind in ("begin group", "begin repeat"):
                parent = stack[-1][0] if stack else ""
                groups.append(self._group(row_number, row, language, parent, kind))
                stack.append((cell_text(row.get("name")), kind))
                continue
            if kind in ("begin loop", "end loop") or kind.startswith("begin loop "):
                self.problem(
                    "survey", row_number, "type",
                    "'loop' repeats questions over a choice list, which Glas does not do (write "
                    "the questions once per choice, or use a repeat)",
                )  # fmt: skip
                continue
            if kind.partition(" ")[0] == "rank":
                for item in self._rank(row_number, row, kind, language, choices):
                    if stack:
                        _put(item, "group", stack[-1][0], row_number)
                    questions.append(item)
                continue
            question = self._question(row_number, row, kind, language, choices)
            if question is not None:
                if stack:
                    _put(question, "group", stack[-1][0], row_number)
                questions.append(question)
                other = self._or_other(row_number, row, kind, question)
                if other is not None:
                    if stack:
                        _put(other, "group", stack[-1][0], row_number)
                    questions.append(other)
        if stack:
            self.problem(
                "survey",
                len(self.rows["survey"]) + 1,
                "type",
                f"group '{stack[-1][0]}' has no '{stack[-1][1].replace('begin', 'end')}'",
            )
        return questions, groups

    def _group(
        self, row_number: int, row: dict[str, Any], language: str, parent: str, kind: str
    ) -> Located:
        group = Located(name=cell_text(row.get("name")))
        group.line, group.key_lines = row_number, {"name": row_number}
        label = self._translatable(row, "label", language)
        if label:
            _put(group, "label", label, row_number)
        if cell_text(row.get("relevant")):
            _put(group, "relevant", cell_text(row.get("relevant")), row_number)
        if parent:
            _put(group, "parent", parent, row_number)
        if kind == "begin repeat":
            _put(group, "repeat", True, row_number)
            if cell_text(row.get("repeat_count")):
                _put(group, "repeat_count", cell_text(row.get("repeat_count")), row_number)
        elif cell_text(row.get("repeat_count")):
            self.problem("survey", row_number, "repeat_count", "only applies to a repeat")
        appearance = cell_text(row.get("appearance")).split()
        for word in appearance:
            if word != "field-list":
                self._set_aside_appearance(row_number, word)
        if "field-list" in appearance:
            _put(group, "field_list", True, row_number)
        for column in ("required", "constraint", "hint", "constraint_message", "required_message"):
            if cell_text(row.get(column)):
                self.warn("survey", row_number, column, "set aside: it does not apply to a group")
        return group

    def _question(
        self,
        row_number: int,
        row: dict[str, Any],
        kind: str,
        language: str,
        choices: dict[str, LocatedList],
    ) -> Located | None:
        base, _, list_name = kind.partition(" ")
        list_name = list_name.removesuffix(" or_other").strip()
        if base in IDENTIFYING_TYPES:
            name = cell_text(row.get("name"))
            self.warn(
                "survey", row_number, "type",
                f"row '{name}' dropped: '{base}' {IDENTIFYING_TYPES[base]}, which Glas never "
                "records, to keep respondents anonymous",
            )  # fmt: skip
            return None
        if base in REFUSED_TYPES:
            self.problem("survey", row_number, "type", f"'{base}': {REFUSED_TYPES[base]}")
            return None
        if base == "hidden":  # a value no one sees: its default, as a calculation
            default = cell_text(row.get("default"))
            quote = '"' if "'" in default else "'"
            row = {
                **row,
                "calculation": cell_text(row.get("calculation"))
                or quote + default.replace(quote, "") + quote,
            }
            base = "calculate"
            self.warn(
                "survey", row_number, "type",
                f"'hidden' is read as a calculation: {row['calculation']}",
            )  # fmt: skip
        if base == "calculate" and IDENTIFYING_CALCULATION.search(
            cell_text(row.get("calculation"))
        ):
            name = cell_text(row.get("name"))
            self.warn(
                "survey", row_number, "calculation",
                f"row '{name}' dropped: its calculation records when or on which device the form "
                "was filled in (now, today, uuid...), which Glas never records",
            )  # fmt: skip
            return None
        question = Located(name=cell_text(row.get("name")))
        question.line, question.key_lines = row_number, {"name": row_number}
        appearance = cell_text(row.get("appearance"))
        glas_type = self._type(row_number, base, list_name, appearance, choices)
        if glas_type is None:
            return None
        _put(question, "type", glas_type, row_number)
        if base == "acknowledge":
            # ODK's tick box that says "OK": one choice, stored as ODK stores it.
            _put(question, "choices", _one_choice("OK", "OK", row_number), row_number)
        elif glas_type in ("select_one", "select_multiple"):
            _put(question, "choices", choices[list_name], row_number)
        if base in MEDIA_TYPES and not cell_text(row.get("accept")):
            _put(question, "accept", list(MEDIA_TYPES[base]), row_number)
        if base in TEXT_LIKE_TYPES:
            self.warn("survey", row_number, "type", f"'{base}': {TEXT_LIKE_TYPES[base]}")
        if base == "range":
            self._range(question, row_number, cell_text(row.get("parameters")))
        elif cell_text(row.get("parameters")):
            self.warn(
                "survey", row_number, "parameters",
                f"set aside: '{cell_text(row.get('parameters'))}' (Glas does not use the "
                f"parameters of {base})",
            )  # fmt: skip
        for column in TRANSLATABLE:
            text = self._translatable(row, column, language)
            if text:
                _put(question, column, text, row_number)
        for column in (*QUESTION_RULES, "choice_filter", "calculation"):
            if cell_text(row.get(column)):
                _put(question, column, cell_text(row.get(column)), row_number)
        if cell_text(row.get("required")):
            _put(
                question,
                "required",
                self._flag("survey", row_number, "required", row["required"]),
                row_number,
            )
        for column in QUESTION_LIMITS:
            value = row.get(column)
            if value is not None and cell_text(value):
                _put(question, column, cell_number(value), row_number)
        if cell_text(row.get("accept")):
            accept = [a.strip() for a in cell_text(row.get("accept")).split(",") if a.strip()]
            _put(question, "accept", accept, row_number)
        if cell_text(row.get("repeat_count")):
            self.warn("survey", row_number, "repeat_count", "ignored: it applies to a repeat")
        return question

    def _type(
        self,
        row_number: int,
        base: str,
        list_name: str,
        appearance: str,
        choices: dict[str, LocatedList],
    ) -> str | None:
        if base in ("select_one", "select_multiple"):
            if list_name not in choices:
                self.problem("survey", row_number, "type", f"no choice list '{list_name}'")
                return None
            if base == "select_one" and is_yes_no(list_name, choices[list_name]):
                return "yes_no"
            glas_type = base
        elif base == "range":
            glas_type = "scale"
        elif base == "acknowledge":
            glas_type = "select_one"
        elif base in MEDIA_TYPES:
            glas_type = "file"
        elif base in TEXT_LIKE_TYPES:
            glas_type = "text"
        elif base in PLAIN_TYPES:
            glas_type = base
        else:
            self.problem("survey", row_number, "type", f"'{base}' is not supported by Glas")
            return None
        words = appearance.split()
        meaning = None
        if "multiline" in words and base == "text":
            meaning, glas_type = "multiline", "textarea"
        elif "month-year" in words and base == "date":
            meaning, glas_type = "month-year", "month"  # ODK's month picker: only YYYY-MM
        elif "likert" in words and base == "select_one":
            meaning = "likert"
        for word in words:
            if word != meaning:
                self._set_aside_appearance(row_number, word)
        return glas_type

    def _set_aside_appearance(self, row_number: int, word: str) -> None:
        if word.startswith("search("):  # choices looked up in a CSV file Glas does not have
            self.problem("survey", row_number, "appearance", f"'{word}': {FROM_FILE}")
            return
        why = (
            "only changes how the question looks in ODK or Kobo"
            if word in PRESENTATION_APPEARANCES
            else "not used by Glas"
        )
        self.warn(
            "survey",
            row_number,
            "appearance",
            f"'{word}' ignored: {why}",
            once=f"appearance {word}",
        )

    def _rank(
        self,
        row_number: int,
        row: dict[str, Any],
        kind: str,
        language: str,
        choices: dict[str, LocatedList],
    ) -> list[Located]:
        """``rank LIST``: read as one choice per place (``<name>_1``, ``<name>_2``…), each a
        different one, so the order is kept and every path can ask it."""
        name, list_name = cell_text(row.get("name")), kind.partition(" ")[2].strip()
        if list_name not in choices:
            self.problem("survey", row_number, "type", f"no choice list '{list_name}'")
            return []
        label = self._translatable(row, "label", language)
        count = len(choices[list_name])
        self.warn(
            "survey", row_number, "type",
            f"'rank' is read as {count} choices in order ({name}_1 to {name}_{count}), each a "
            "different one",
        )  # fmt: skip
        required = bool(cell_text(row.get("required"))) and self._flag(
            "survey", row_number, "required", row["required"]
        )
        found = []
        for place in range(1, count + 1):
            item = Located(name=f"{name}_{place}", type="select_one", choices=choices[list_name])
            item.line, item.key_lines = row_number, {"name": row_number, "type": row_number}
            if isinstance(label, Located):
                placed = Located({code: f"{text} ({place})" for code, text in label.items()})
                placed.line, placed.key_lines = 0, dict.fromkeys(placed, 0)
                _put(item, "label", placed, row_number)
            else:
                _put(item, "label", f"{label or name} ({place})", row_number)
            earlier = [f"${{{name}_{i}}} != ." for i in range(1, place)]
            if earlier:
                _put(item, "constraint", " and ".join(earlier), row_number)
            if required:
                _put(item, "required", True, row_number)
            found.append(item)
        return found

    def _or_other(
        self, row_number: int, row: dict[str, Any], kind: str, question: Located
    ) -> Located | None:
        """``select_one list or_other``: an "Other" choice, and a text question asked only when
        it is chosen, named as pyxform names it (``<name>_other``)."""
        if not kind.endswith(" or_other") or "choices" not in question:
            return None
        name = cell_text(row.get("name"))
        listed = question["choices"]
        if not any(c.get("name") == "other" for c in listed):
            other = Located(name="other", label="Other")
            other.line, other.key_lines = row_number, {"name": row_number, "label": row_number}
            extended = LocatedList([*listed, other])
            extended.line = getattr(listed, "line", row_number)
            _put(question, "choices", extended, row_number)
        follow_up = Located(name=f"{name}_other", type="text", label="Specify other.")
        follow_up.line = row_number
        follow_up.key_lines = dict.fromkeys(("name", "type", "label"), row_number)
        _put(follow_up, "relevant", f"selected(${{{name}}}, 'other')", row_number)
        return follow_up

    def _range(self, question: Located, row_number: int, parameters: str) -> None:
        """A range of whole steps of one and at most MAX_SCALE_POINTS points is a scale; any
        other is read as a number question between its ends, with a warning."""
        values = dict(p.split("=", 1) for p in parameters.split() if "=" in p)
        numbers = {
            k: _decimal(values.get(k, d)) for k, d in (("start", "1"), ("end", "10"), ("step", "1"))
        }
        start, end, step = numbers["start"], numbers["end"], numbers["step"]
        if start is None or end is None or step is None or step <= 0 or end < start:
            self.problem("survey", row_number, "parameters", f"'{parameters}' is no range")
            return
        for key in sorted(set(values) - {"start", "end", "step"}):
            self.warn("survey", row_number, "parameters", f"set aside: '{key}' of a range")
        whole = all(n == n.to_integral_value() for n in (start, end, step))
        if whole and step == 1 and 2 <= end - start + 1 <= MAX_SCALE_POINTS:
            _put(question, "min", cell_number(str(start)), row_number)
            _put(question, "max", cell_number(str(end)), row_number)
            return
        kind = "integer" if whole else "decimal"
        _put(question, "type", kind, row_number)
        _put(question, "min", cell_number(str(start)), row_number)
        _put(question, "max", cell_number(str(end)), row_number)
        self.warn(
            "survey", row_number, "type",
            f"a range from {start} to {end} in steps of {step} is read as a number question "
            f"({kind}, {start} to {end})",
        )  # fmt: skip

    def _translatable(self, row: dict[str, Any], column: str, language: str) -> Any:
        texts = {}
        for name, value in row.items():
            match = TRANSLATED_COLUMN.match(name)
            if match and match.group("base") == column and cell_text(value):
                named = name.split("::", 1)[1]
                code = language_code(named)
                if not code:
                    self.problem(
                        "survey", 1, name,
                        f"'{named}' is no language Glas knows: write it with its code, as "
                        "'Name (xx)'",
                    )  # fmt: skip
                    continue
                texts[code] = cell_text(value)
        plain = cell_text(row.get(column))
        if not texts:
            return plain
        if plain and language not in texts:
            texts[language] = plain
        mapping = Located(texts)
        mapping.line, mapping.key_lines = 0, dict.fromkeys(texts, 0)
        return mapping

    def _flag(self, sheet: str, row_number: int, column: str, value: Any) -> bool:
        word = cell_text(value).lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            self.problem(sheet, row_number, column, f"'{value}' is not yes or no")
        return word in TRUE_WORDS

    def _unsupported_columns(
        self, sheet: str, row_number: int, row: dict[str, Any], known: set[str]
    ) -> None:
        """Columns Glas does not use are set aside with one warning each (custom attributes,
        media, ODK's bind/body/instance settings, anything else)."""
        for column, value in row.items():
            match = TRANSLATED_COLUMN.match(column)
            base = match.group("base") if match else column.split("::")[0]
            translatable = base in TRANSLATABLE or (sheet == "choices" and base == "label")
            if not cell_text(value) or (base in known and (not match or translatable)):
                continue
            if base == "choice_filter":
                continue  # refused where it is used
            if base in MEDIA_COLUMNS:
                why = "media are not shown by Glas"
            elif base in ("bind", "body", "instance"):
                why = "an attribute for ODK or Kobo, not used by Glas"
            else:
                why = "not used by Glas"
            self.warn(sheet, row_number, column, f"column ignored: {why}", once=f"column {column}")


def _one_choice(name: str, label: str, line: int) -> LocatedList:
    choice = Located(name=name, label=label)
    choice.line, choice.key_lines = line, {"name": line, "label": line}
    listed = LocatedList([choice])
    listed.line = line
    return listed


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _put(mapping: Located, key: str, value: Any, line: int) -> None:
    mapping[key] = value
    mapping.key_lines[key] = line
