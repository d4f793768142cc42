"""pyxform's reading of a form, turned into a Glas survey definition.

pyxform has already read the workbook as real tools write it (aliases, ``.xls``, languages,
``or_other``, names unique per group): here each element of its normalised form becomes a
Glas question or group, as the mapping a YAML definition gives, for
:class:`~surveys.loader.DefinitionReader` to check like any other. What stays here is Glas's
own: identifying rows set aside, names made unique in the whole survey, choice lists from
files, and a warning or a refusal, by sheet, row and column, for everything else.
"""

from __future__ import annotations

from typing import Any

from ..document import Located, LocatedList
from ..expressions import ExpressionError, parse
from . import lookups
from .lists import AttachmentError, Lists, RawChoice, read_choice_file
from .names import Names
from .notes import Notes, Rows, Where
from .questions import QuestionReader
from .shape import expression, put, question_names
from .texts import Texts
from .vocabulary import flag, slug

#: Settings Glas reads; the others are ODK's or Kobo's, set aside with a warning.
SETTINGS = {
    "form_title", "form_id", "id_string", "default_language", "style", "version", "kind",
    "replies", "description", "allow_choice_duplicates", "name", "title",
}  # fmt: skip


class FormReader:
    def __init__(self, parsed: dict[str, Any], source: str, attachments: dict[str, bytes]) -> None:
        self.form: dict[str, Any] = parsed["form"]
        self.source = source
        self.notes = Notes()
        self.rows = Rows(parsed["rows"].get("survey", []))
        self.settings_row = (parsed["rows"].get("settings") or [{}])[0]
        self.texts = Texts(self.form, self.notes)
        self.lists = Lists(
            self.form,
            parsed["rows"].get("external_choices", []),
            attachments,
            self.texts,
            self.notes,
        )
        self.names = Names(self.notes)
        self.reader = QuestionReader(self.notes, self.texts, self.lists, self.names)
        self.groups = LocatedList()
        self.groups.line = 1
        for name in parsed.get("sheets", []):
            if name.lower() in ("entities", "osm"):
                self.notes.warn(Where(name), "sheet set aside: not used by Glas", once=name)

    # -- the survey ---------------------------------------------------------------------

    @property
    def questions(self) -> LocatedList:
        return self.reader.questions

    def definition(self) -> Located:
        form = self.form
        written_id = str(form.get("id_string") or self.source.rsplit(".", 1)[0])
        survey_id = slug(written_id)
        if survey_id != written_id:
            self.notes.warn(
                Where("settings", 2, "form_id"),
                f"'{written_id}' is read as '{survey_id}' (survey ids are lowercase)",
            )
        data = Located(id=survey_id, language=self.texts.language)
        data.line, data.key_lines = 1, {"id": 1, "language": 1}
        title = self.texts.text(form.get("title"), Where("settings", 2, "form_title"))
        put(data, "title", title or survey_id, 1)
        for key in ("description", "kind"):
            if form.get(key):
                put(data, key, str(form[key]).strip(), 1)
        if form.get("replies"):
            put(data, "replies", bool(flag(form["replies"])), 1)
        if flag(form.get("allow_choice_duplicates")):
            put(data, "choice_duplicates", True, 1)
        self._style(str(form.get("style") or ""), data)
        self._settings()
        self.names.questions = question_names(form.get("children") or [])
        self._children(form.get("children") or [], parent="", label_for={})
        self.names.rewrite(self.questions, self.groups)
        self._lookups()
        if self._unreadable():
            self.names.rewrite(self.questions, self.groups)
        asks = any(q.get("type") not in ("note", "calculate") for q in self.questions)
        if not asks and self.reader.dropped_identifying:
            self.notes.problem(
                Where("survey"),
                "nothing is left to ask once the rows that would identify or locate a "
                "respondent are set aside",
            )
        elif not self.questions:
            self.notes.problem(
                Where("survey"),
                "nothing is left to ask once the rows Glas cannot use are "
                "set aside (the warnings say which and why)",
            )
        put(data, "questions", self.questions, 1)
        if self.groups:
            put(data, "groups", self.groups, 1)
        return data

    def _lookups(self) -> None:
        """pulldata() and instance() lookups written as lookup(…) with their pairs."""
        for item in [*self.questions, *self.groups]:
            for key in ("relevant", "constraint", "calculation", "choice_filter", "repeat_count"):
                text = item.get(key)
                if not isinstance(text, str) or ("pulldata" not in text and "instance" not in text):
                    continue
                where = Where("survey", item.key_lines.get(key, item.line), key)
                try:
                    item[key], missing = lookups.rewrite(text, self._lookup_source)
                except (lookups.LookupError_, AttachmentError) as e:
                    self.notes.problem(where, str(e))
                    continue
                for name in missing:
                    if name not in self.lists.missing:
                        self.lists.missing.append(name)

    def _unreadable(self) -> bool:
        """Calculations and constraints Glas cannot read are set aside (a value computed for
        another app, such as CHT's ``cht:extension-lib``, or a check ODK Collect makes), each
        with a warning; rules that read a calculation set aside read it as empty. Skip logic
        and choice filters are never set aside: without them the form would ask otherwise,
        so an unreadable one is refused where it is."""
        kept = LocatedList()
        kept.line = self.questions.line
        removed = False
        for question in self.questions:
            where = Where("survey", question.line)
            text = question.get("calculation")
            if question.get("type") == "calculate" and isinstance(text, str):
                try:
                    parse(text)
                except ExpressionError as e:
                    self.names.dropped.add(str(question["name"]))
                    self.names.taken.discard(str(question["name"]).lower())
                    self.notes.warn(
                        where.at("calculation"),
                        f"row '{question['name']}' set aside: Glas cannot read its calculation "
                        f"({e})",
                    )
                    removed = True
                    continue
            text = question.get("constraint")
            if isinstance(text, str):
                try:
                    parse(text, allow_self=True)
                except ExpressionError as e:
                    self.notes.warn(
                        where.at("constraint"), f"set aside: Glas cannot read this check ({e})"
                    )
                    del question["constraint"]
                    question.pop("constraint_message", None)
            kept.append(question)
        self.reader.questions = kept
        return removed

    def _lookup_source(self, name: str, is_file: bool) -> lookups.Found:
        """Rows to look up in: a choice list by its name, else an attached file."""
        if not is_file and name in self.lists.sheet:
            return lookups.Found(self.lists.sheet[name], name)
        if not is_file and name in self.lists.external:
            return lookups.Found(self.lists.external[name], name)
        candidates = [name] if "." in name else [
            self.reader.data_files.get(name, ""), f"{name}.csv", f"{name}.xml", f"{name}.geojson"
        ]  # fmt: skip
        for file_name in [c for c in candidates if c]:
            data = self.lists.attachments.get(file_name)
            if data is not None:
                self.lists.used_files.add(file_name)
                rows: list[RawChoice] = read_choice_file(file_name, data)
                return lookups.Found(rows, file_name)
        return lookups.Found(None, next(c for c in candidates if c))

    def _style(self, style: str, data: Located) -> None:
        for word in style.split():
            if word != "pages":  # Enketo's themes: how the form looks, not what it asks
                self.notes.warn(
                    Where("settings", 2, "style"), f"'{word}' set aside: a presentation style"
                )
        if "pages" in style.split():
            put(data, "pages", True, 1)

    def _settings(self) -> None:
        for column, value in self.settings_row.items():
            base = str(column).split("::")[0].strip().lower()
            if base not in SETTINGS and str(value).strip():
                self.notes.warn(
                    Where("settings", 2, str(column)),
                    "ignored: a setting for ODK or Kobo, not used by Glas",
                )

    # -- elements -----------------------------------------------------------------------

    def _children(self, children: list[Any], parent: str, label_for: dict[str, Any]) -> None:
        for element in children:
            if not isinstance(element, dict):
                continue
            kind = str(element.get("type", ""))
            name = str(element.get("name", ""))
            if kind == "group" and name == "meta" and not parent:
                continue  # pyxform's own metadata (instanceID): never a question
            row = self.rows.find(name)
            where = Where("survey", row)
            if label_for:
                element = {**element, "label": self._substituted(element.get("label"), label_for)}
            if kind in ("group", "repeat"):
                self._group(element, where, parent)
            elif kind == "loop":
                self._loop(element, where, parent)
            else:
                self.reader.read(element, where, parent)

    def _group(
        self,
        element: dict[str, Any],
        where: Where,
        parent: str,
        label_for: dict[str, Any] | None = None,
    ) -> None:
        name = self.names.claim(str(element.get("name")), parent, where, group=True)
        group = Located(name=name)
        group.line, group.key_lines = where.row, {"name": where.row}
        label = self.texts.text(element.get("label"), where.at("label"))
        if label:
            put(group, "label", label, where.row)
        bind, control = element.get("bind") or {}, element.get("control") or {}
        if bind.get("relevant"):
            put(group, "relevant", expression(bind["relevant"]), where.row)
        if parent:
            put(group, "parent", parent, where.row)
        if element.get("type") == "repeat":
            put(group, "repeat", True, where.row)
            count = control.get("jr:count")
            if count:
                put(group, "repeat_count", expression(str(count)), where.row)
        words = str(control.get("appearance", "")).split()
        if "field-list" in words:
            put(group, "field_list", True, where.row)
        for word in words:
            if word != "field-list":
                self.reader.appearance_aside(where, word)
        for key in ("required", "constraint", "calculate"):
            if bind.get(key) and str(bind[key]) not in ("false()", "false"):
                self.notes.warn(where.at(key), "set aside: it does not apply to a group")
        if element.get("hint"):
            self.notes.warn(where.at("hint"), "set aside: it does not apply to a group")
        self.groups.append(group)
        self._children(element.get("children") or [], name, label_for or {})

    def _loop(self, element: dict[str, Any], where: Where, parent: str) -> None:
        """``begin loop over L``: the same questions once per choice of L, as pyxform builds
        it (a group per choice, ``%(label)s`` standing for the choice's label)."""
        loop_name = str(element.get("name"))
        choices = [c for c in element.get("columns") or [] if isinstance(c, dict)]
        self.notes.warn(
            where.at("type"),
            f"a loop is read as {len(choices)} groups, one per choice ({loop_name}_…)",
        )
        for choice in choices:
            group = {
                "type": "group",
                "name": f"{loop_name}_{choice.get('name')}",
                "label": self._substituted(
                    element.get("label"), {"%(label)s": choice.get("label")}
                ),
                "bind": element.get("bind") or {},
                "children": element.get("children") or [],
            }
            cursor = self.rows.cursor
            self._group(group, where, parent, {"%(label)s": choice.get("label")})
            self.rows.cursor = cursor  # every copy finds its rows again
        self.rows.find("")  # and then past them (no element is called "")

    def _substituted(self, value: Any, replacements: dict[str, Any]) -> Any:
        for old, new in replacements.items():
            value = self.texts.substitute(value, old, new)
        return value
