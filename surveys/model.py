"""The survey definition: questions, their types, choices and constraints.

A definition is data, not code: it can be stored, hashed, shipped inside an export bundle and
rebuilt on the reviewer's machine. Its digest over the canonical form names a *version*;
submissions are bound to that digest, so a reworded question never silently changes the meaning
of answers already given.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from crypto.envelope import canonical_json

from .expressions import Tree, choice_values, evaluate, parse, references

TEXT_TYPES = frozenset({"text", "textarea"})
NUMBER_TYPES = frozenset({"integer", "decimal"})
CHOICE_TYPES = frozenset({"select_one", "select_multiple"})
#: Answered by choosing one option; a scale's options are its points, yes_no's are yes and no.
SINGLE_CHOICE_TYPES = frozenset({"select_one", "scale", "yes_no"})
QUESTION_TYPES = (
    TEXT_TYPES
    | NUMBER_TYPES
    | CHOICE_TYPES
    | {"date", "month", "time", "datetime", "note", "file", "scale", "yes_no", "calculate"}
)
#: A Likert scale runs between these unless its definition says otherwise.
DEFAULT_SCALE = ("1", "5")
#: The longest Likert scale offered (more points are a number question, not a scale).
MAX_SCALE_POINTS = 11
YES_NO = ("yes", "no")
#: A month answer: YYYY-MM, never a day (a testimony's "when" keeps no finer time than this).
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
#: A time of day as browsers send it (HH:MM, 24 hours), and a day with a time (YYYY-MM-DDTHH:MM):
#: what the respondent says happened when, never when she answered.
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]")

#: Longest answer accepted when a text question sets no ``max_length`` of its own.
DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 20_000}
#: Attachments per file question when it sets no ``max_files``.
DEFAULT_MAX_FILES = 5
#: Most instances one repeat may have (a respondent's "add another", or its repeat_count):
#: every instance is validated and sealed, so a form cannot ask the server for a million.
MAX_REPEATS = 50
#: Most instances of all repeats together, at every depth, in one submission: a repeat inside a
#: repeat would otherwise allow 50 by 50, and each instance is walked, checked, drawn and sealed.
MAX_INSTANCES = 150
#: Most rule evaluations one walk of a survey may make (skip logic, calculations, counts).
MAX_STEPS = 20_000
#: Largest answers document (canonical JSON) one submission may seal.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: A testimony is read one submission at a time; a survey is read as a table.
SURVEY_KINDS = ("survey", "testimony")


#: A question's texts that may be translated (YAML mappings, XLSForm ``label::…`` columns).
QUESTION_TEXTS = (
    "label",
    "hint",
    "required_message",
    "constraint_message",
    "low_label",
    "high_label",
)
#: A question's limits, written the same in YAML and in Glas's own XLSForm columns.
QUESTION_LIMITS = ("min", "max", "min_length", "max_length", "max_files")
#: A question's rules, written as expressions.
QUESTION_RULES = ("relevant", "constraint")

#: Translated texts of one object: (field, language code, text), e.g. ("label", "mk", "…").
Translations = tuple[tuple[str, str, str], ...]
DEFAULT_LANGUAGE = "en"


def localized(item: Any, field: str, language: str) -> str:
    """The text of ``field`` in ``language``, falling back string by string to the default."""
    for name, code, text in getattr(item, "translations", ()):
        if name == field and code == language:
            return str(text)
    return str(getattr(item, field))


def text_value(item: Any, field: str, language: str) -> str | dict[str, str]:
    """A text for to_dict: a plain string, or {language: text} when it has translations."""
    others = {code: text for name, code, text in item.translations if name == field}
    default = getattr(item, field)
    return {language: default, **others} if others else default


@dataclass(frozen=True)
class Choice:
    name: str
    label: str
    translations: Translations = ()
    #: Columns a choice_filter reads (XLSForm's extra columns of the choices sheet).
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Question:
    """One question. ``name`` is the stable key answers are stored under."""

    name: str
    type: str
    label: str
    hint: str = ""
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: str | None = None
    maximum: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    max_files: int | None = None
    accept: tuple[str, ...] = ()
    translations: Translations = ()
    #: Skip logic: the question is asked only when this expression holds (XLSForm ``relevant``).
    relevant: str = ""
    #: An extra rule on the answer, ``.`` being the answer (XLSForm ``constraint``).
    constraint: str = ""
    constraint_message: str = ""
    required_message: str = ""
    #: Cascading selects: only the choices for which this holds are offered (bare words are
    #: the choice's columns, ``${q}`` answers: XLSForm ``choice_filter``).
    choice_filter: str = ""
    #: A calculate question's value, computed from other answers (XLSForm ``calculation``).
    calculation: str = ""
    #: The innermost group (page or section) this question belongs to, if any.
    group: str = ""
    #: A scale's labelled ends ("Strongly disagree" … "Strongly agree").
    low_label: str = ""
    high_label: str = ""
    #: The file an imported form took this question's choices from (Kobo's media, such as
    #: ``select_one_from_file cities.csv``); the choices themselves are in ``choices``.
    choices_file: str = ""

    @cached_property
    def relevant_tree(self) -> Tree | None:
        return parse(self.relevant) if self.relevant else None

    @cached_property
    def calculation_tree(self) -> Tree | None:
        return parse(self.calculation) if self.calculation else None

    @cached_property
    def choice_filter_tree(self) -> Tree | None:
        return parse(self.choice_filter, allow_columns=True) if self.choice_filter else None

    def choices_for(self, values: Mapping[str, str]) -> tuple[Choice, ...]:
        """The choices offered given these answers (all of them without a choice_filter)."""
        tree = self.choice_filter_tree
        if tree is None:
            return self.choices
        return tuple(
            c
            for c in self.choices
            if evaluate(tree, {**values, **choice_values(c.name, c.columns)})
        )

    @cached_property
    def constraint_tree(self) -> Tree | None:
        return parse(self.constraint, allow_self=True) if self.constraint else None

    @property
    def answerable(self) -> bool:
        return self.type != "note"

    @property
    def effective_max_length(self) -> int:
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type, DEFAULT_MAX_LENGTH["text"])

    @property
    def effective_max_files(self) -> int:
        return self.max_files or DEFAULT_MAX_FILES

    @cached_property
    def choice_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.choices)

    def choice_label(self, name: str) -> str:
        return next((c.label for c in self.choices if c.name == name), name)

    def to_dict(self, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": text_value(self, "label", language),
        }
        optional = {
            "hint": text_value(self, "hint", language) if self.hint else None,
            "required": self.required or None,
            "min": self.minimum,
            "max": self.maximum,
            "min_length": self.min_length,
            "max_length": self.max_length,
            "max_files": self.max_files,
            "accept": list(self.accept) or None,
            "relevant": self.relevant or None,
            "constraint": self.constraint or None,
            "choice_filter": self.choice_filter or None,
            "calculation": self.calculation or None,
            "constraint_message": self._text("constraint_message", language),
            "required_message": self._text("required_message", language),
            "low_label": self._text("low_label", language),
            "high_label": self._text("high_label", language),
            "group": self.group or None,
            "choices_file": self.choices_file or None,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.type in CHOICE_TYPES:
            data["choices"] = [
                {
                    "name": c.name,
                    "label": text_value(c, "label", language),
                    **({"columns": dict(c.columns)} if c.columns else {}),
                }
                for c in self.choices
            ]
        return data

    def _text(self, field: str, language: str) -> str | dict[str, str] | None:
        return text_value(self, field, language) if getattr(self, field) else None


@dataclass(frozen=True)
class Group:
    """A section of questions: shown together, skipped together, one page when paged."""

    name: str
    label: str = ""
    relevant: str = ""
    #: The enclosing group, for groups within groups.
    parent: str = ""
    #: XLSForm's ``field-list``: when the survey is paged, the whole group is one page.
    field_list: bool = False
    translations: Translations = ()
    #: A repeat (XLSForm ``begin repeat``): its questions are asked once per instance, as many
    #: as the respondent adds, or as ``repeat_count`` (a number or an expression) says.
    repeat: bool = False
    repeat_count: str = ""

    @cached_property
    def relevant_tree(self) -> Tree | None:
        return parse(self.relevant) if self.relevant else None

    @cached_property
    def repeat_count_tree(self) -> Tree | None:
        return parse(self.repeat_count) if self.repeat_count else None

    def to_dict(self, language: str) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        optional = {
            "label": text_value(self, "label", language) if self.label else None,
            "relevant": self.relevant or None,
            "parent": self.parent or None,
            "field_list": self.field_list or None,
            "repeat": self.repeat or None,
            "repeat_count": self.repeat_count or None,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data


def reads_any(
    questions: list[Question], page: list[Question], relevance: dict[str, list[Tree]]
) -> bool:
    """Whether any of ``questions`` has skip logic reading an answer on ``page``."""
    names = {q.name for q in page}
    return any(names & references(t) for q in questions for t in relevance[q.name])


@dataclass(frozen=True)
class Survey:
    """A whole survey definition."""

    id: str
    title: str
    description: str = ""
    questions: tuple[Question, ...] = field(default_factory=tuple)
    kind: str = "survey"
    language: str = DEFAULT_LANGUAGE
    translations: Translations = ()
    #: Whether respondents get a codename for replies; testimonies always do.
    replies: bool = False
    groups: tuple[Group, ...] = ()
    #: One page at a time (XLSForm ``style=pages``): without JavaScript, skip logic then
    #: applies as the respondent goes from page to page.
    paged: bool = False
    #: A choice list may name two choices alike (XLSForm ``allow_choice_duplicates``).
    choice_duplicates: bool = False

    @property
    def gives_codename(self) -> bool:
        return self.kind == "testimony" or self.replies

    @cached_property
    def languages(self) -> list[str]:
        """The survey's default language first, then every language it has any text in."""
        found = {code for _, code, _ in self.translations}
        for group in self.groups:
            found |= {code for _, code, _ in group.translations}
        for question in self.questions:
            found |= {code for _, code, _ in question.translations}
            for choice in question.choices:
                found |= {code for _, code, _ in choice.translations}
        return [self.language, *sorted(found - {self.language})]

    # Cached: the reviewer's tools ask these for every one of 100,000 submissions.
    @cached_property
    def by_name(self) -> dict[str, Question]:
        return {q.name: q for q in self.questions}

    def question(self, name: str) -> Question | None:
        return self.by_name.get(name)

    @cached_property
    def answerable_questions(self) -> list[Question]:
        return [q for q in self.questions if q.answerable]

    @cached_property
    def required_questions(self) -> list[Question]:
        return [q for q in self.answerable_questions if q.required]

    @cached_property
    def answer_columns(self) -> list[str]:
        return [q.name for q in self.answerable_questions]

    @property
    def closed_questions(self) -> list[Question]:
        """Questions whose answers can be counted and charted."""
        return [q for q in self.questions if q.choices or q.type in NUMBER_TYPES]

    @cached_property
    def group_by_name(self) -> dict[str, Group]:
        return {g.name: g for g in self.groups}

    def enclosing_groups(self, question: Question) -> list[Group]:
        """The question's groups from the innermost outwards."""
        if not question.group:
            return []
        group = self.group_by_name[question.group]
        return [group, *self.parents(group)]

    def parents(self, group: Group) -> list[Group]:
        """The groups around ``group``, innermost first."""
        found, name = [], group.parent
        while name:
            parent = self.group_by_name[name]
            found.append(parent)
            name = parent.parent
        return found

    @cached_property
    def repeat_chain(self) -> dict[str, list[str]]:
        """Per question and per repeat, the repeats around it, outermost first."""
        found = {
            q.name: [g.name for g in reversed(self.enclosing_groups(q)) if g.repeat]
            for q in self.questions
        }
        for group in self.groups:
            if group.repeat:
                found[group.name] = [g.name for g in reversed(self.parents(group)) if g.repeat]
        return found

    @cached_property
    def repeat_of(self) -> dict[str, str]:
        """The innermost repeat each question is asked in (questions outside any are absent)."""
        return {name: chain[-1] for name, chain in self.repeat_chain.items() if chain}

    @cached_property
    def top_repeat(self) -> dict[str, str]:
        """The outermost repeat around each question or repeat: what a page holds whole."""
        return {name: chain[0] for name, chain in self.repeat_chain.items() if chain}

    @cached_property
    def repeats(self) -> dict[str, list[Question]]:
        """Each repeat's own questions (not those of repeats inside it), in order."""
        found: dict[str, list[Question]] = {g.name: [] for g in self.groups if g.repeat}
        for question in self.questions:
            if question.name in self.repeat_of:
                found[self.repeat_of[question.name]].append(question)
        return found

    @cached_property
    def blocks_in(self) -> dict[str, list[Question | Group]]:
        """What the skip logic walks, level by level: the blocks of the survey itself (under
        "") and of each repeat — questions, and the repeats directly inside as one block each
        (a repeat's instances are walked one after another)."""
        found: dict[str, list[Question | Group]] = {"": []}
        for question in self.questions:
            chain = self.repeat_chain[question.name]
            levels = ["", *chain]
            for depth, level in enumerate(levels):
                blocks = found.setdefault(level, [])
                if depth + 1 < len(levels):
                    group = self.group_by_name[levels[depth + 1]]
                    if not (blocks and blocks[-1] is group):
                        blocks.append(group)
                else:
                    blocks.append(question)
        return found

    @cached_property
    def blocks(self) -> list[Question | Group]:
        """The survey's own blocks (see :attr:`blocks_in`)."""
        return self.blocks_in[""]

    @cached_property
    def level_blocks(self) -> dict[str, dict[str, Question | Group]]:
        """Per level ("" or a repeat), its blocks by name (what an answers object may hold)."""
        return {level: {b.name: b for b in blocks} for level, blocks in self.blocks_in.items()}

    @cached_property
    def checked_when_missing(self) -> dict[str, list[Question]]:
        """Per level ("" or a repeat), the questions whose absence the reviewer's check
        looks at: calculations (a value was due) and required questions other than files."""
        return {
            level: [
                b
                for b in blocks
                if isinstance(b, Question)
                and (b.type == "calculate" or (b.required and b.type != "file"))
            ]
            for level, blocks in self.blocks_in.items()
        }

    @cached_property
    def inside(self) -> dict[str, frozenset[str]]:
        """Per repeat, the names of every question and repeat inside it, at any depth."""
        found: dict[str, set[str]] = {g.name: set() for g in self.groups if g.repeat}
        for name, chain in self.repeat_chain.items():
            for outer in chain:
                found[outer].add(name)
        return {name: frozenset(names) for name, names in found.items()}

    @cached_property
    def browser_walk(self) -> list[list[Any]]:
        """The skip logic walk as the page's script runs it (glasLogic.walk), block by block:
        ["q", name, rules, calculation or None] and, for a repeat,
        ["r", name, its own rules, repeat_count or None, [the blocks inside it]]."""

        def walk(blocks: list[Question | Group]) -> list[list[Any]]:
            return [
                ["q", b.name, self.relevance[b.name], self.calculations.get(b.name)]
                if isinstance(b, Question)
                else [
                    "r",
                    b.name,
                    self.group_relevance[b.name],
                    b.repeat_count_tree,
                    walk(self.blocks_in[b.name]),
                ]
                for b in blocks
            ]

        return walk(self.blocks)

    @cached_property
    def group_relevance(self) -> dict[str, list[Tree]]:
        """Per group, the rules of the group and its enclosing groups (outermost first)."""
        found: dict[str, list[Tree]] = {}
        for group in self.groups:
            chain = reversed([group, *self.parents(group)])
            found[group.name] = [g.relevant_tree for g in chain if g.relevant_tree is not None]
        return found

    @cached_property
    def relevance(self) -> dict[str, list[Tree]]:
        """Per question, every rule that must hold for it to be asked: its groups' (outermost
        first) and its own. Cached: the server checks it for every submission."""
        found = {}
        for question in self.questions:
            trees = list(self.group_relevance.get(question.group, []))
            if question.relevant_tree is not None:
                trees.append(question.relevant_tree)
            found[question.name] = trees
        return found

    @cached_property
    def calculations(self) -> dict[str, Tree]:
        """Each calculate question's tree, jr:choice-name's question resolved to its labels."""
        return {
            q.name: _resolve_choice_names(q.calculation_tree, self.by_name)
            for q in self.questions
            if q.calculation_tree is not None
        }

    def reads(self, trees: list[Tree]) -> set[str]:
        """The answers these rules read, through any calculation they read."""
        found = set().union(*(references(t) for t in trees)) if trees else set()
        todo = [n for n in found if n in self.calculations]
        while todo:
            for name in references(self.calculations[todo.pop()]) - found:
                found.add(name)
                if name in self.calculations:
                    todo.append(name)
        return found

    @cached_property
    def rule_reads(self) -> dict[str, set[str]]:
        """Per question, the answers its skip logic reads (through calculations): decided once
        per version, since every page a respondent turns asks it."""
        return {q.name: self.reads(self.relevance[q.name]) for q in self.questions}

    @cached_property
    def ruled_questions(self) -> list[tuple[str, list[Tree]]]:
        """Questions with skip logic (their own or their groups'), in order, with the rules."""
        return [(q.name, self.relevance[q.name]) for q in self.questions if self.relevance[q.name]]

    @cached_property
    def always_asked(self) -> frozenset[str]:
        """Questions no rule can skip: the reviewer's check decides these once per version."""
        return frozenset(q.name for q in self.questions if not self.relevance[q.name])

    @cached_property
    def pages(self) -> list[list[Question]]:
        """The questions page by page, as respondents without JavaScript get them.

        A paged survey: a top-level field-list group is one page, any other question its own
        page (as ODK does). Then, paged or not, a page is split before any question whose
        skip logic reads an answer on that same page: without a script nothing can hide it
        there, and an answer typed into a question that turns out skipped would be dropped.
        So every rule's inputs are on an earlier page. Files go on the last page (a file
        cannot be carried from page to page without being stored)."""
        shown = [q for q in self.questions if q.type != "calculate"]  # computed, not asked
        designed = self._designed_pages() if self.paged else [shown]
        designed = [[q for q in page if q.type != "calculate"] for page in designed]
        # A repeat that asks for files is on the last page too, whole, with the other files.
        file_repeats = {
            self.top_repeat[q.name]
            for q in self.questions
            if q.type == "file" and q.name in self.top_repeat
        }
        files = [q for q in self.questions if q.type == "file" and q.name not in self.top_repeat]
        last = [q for q in shown if self.top_repeat.get(q.name, "") in file_repeats]
        pages: list[list[Question]] = []
        for page in designed:
            current: list[Question] = []
            for question in page:
                repeat = self.top_repeat.get(question.name)
                if repeat in file_repeats or (question.type == "file" and repeat is None):
                    continue
                if repeat is not None:  # a repeat is a page of its own, all its instances
                    if current and self.top_repeat.get(current[0].name) != repeat:
                        pages.append(current)
                        current = []
                    current.append(question)
                    continue
                if current and current[0].name in self.top_repeat:
                    pages.append(current)
                    current = []
                trees = list(self.relevance[question.name])
                if question.choice_filter_tree is not None:  # its choices depend on answers too
                    trees.append(question.choice_filter_tree)
                reads = self.reads(trees)
                if current and reads & {q.name for q in current}:
                    pages.append(current)
                    current = []
                current.append(question)
            if current:
                pages.append(current)
        if last or files:
            if pages and not last and not reads_any(files, pages[-1], self.relevance):
                pages[-1].extend(files)
            else:
                pages.append(last + files)
        return pages or [[]]

    @cached_property
    def page_blocks(self) -> list[list[Question | Group]]:
        """Each page as it is drawn: questions, and each top-level repeat once, whole."""
        found: list[list[Question | Group]] = []
        for page in self.pages:
            blocks: list[Question | Group] = []
            for question in page:
                top = self.top_repeat.get(question.name)
                item: Question | Group = self.group_by_name[top] if top else question
                if not (top and blocks and blocks[-1] is item):
                    blocks.append(item)
            found.append(blocks)
        return found

    @property
    def multipage(self) -> bool:
        """Whether respondents without JavaScript go through pages (with it: one live page)."""
        return len(self.pages) > 1

    def _designed_pages(self) -> list[list[Question]]:
        pages: list[list[Question]] = []
        current_block = None
        for question in self.questions:
            top = self.enclosing_groups(question)[-1] if question.group else None
            # A top-level field-list group is one page; so is a repeat, wherever it is.
            block = self.top_repeat.get(question.name)
            if block is None and top is not None and top.field_list:
                block = top.name
            if block is not None and block == current_block and pages:
                pages[-1].append(question)
            else:
                pages.append([question])
            current_block = block
        return pages

    @cached_property
    def has_files(self) -> bool:
        return any(q.type == "file" for q in self.questions)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": text_value(self, "title", self.language)}
        if self.description:
            data["description"] = text_value(self, "description", self.language)
        if self.kind != "survey":
            data["kind"] = self.kind
        if self.language != DEFAULT_LANGUAGE:
            data["language"] = self.language
        if self.replies:
            data["replies"] = True
        if self.paged:
            data["pages"] = True
        if self.choice_duplicates:
            data["choice_duplicates"] = True
        if self.groups:
            data["groups"] = [g.to_dict(self.language) for g in self.groups]
        data["questions"] = [q.to_dict(self.language) for q in self.questions]
        return data

    def canonical(self) -> bytes:
        """The bytes the version digest is computed over (sorted keys, no spaces, UTF-8)."""
        return canonical_json(self.to_dict())

    def digest(self) -> str:
        """Return the version digest: BLAKE2b-256 of the canonical definition, in hex."""
        return hashlib.blake2b(self.canonical(), digest_size=32).hexdigest()


def _resolve_choice_names(tree: Any, questions: Mapping[str, Question]) -> Any:
    """jr:choice-name(value, '${q}'): its second argument becomes q's labels, so the tree
    carries what the browser needs to evaluate it, and the labels are the survey's own."""
    if not isinstance(tree, list):
        return tree
    if tree[:2] == ["call", "jr:choice-name"] and tree[3][0] == "str":
        question = questions.get(tree[3][1][2:-1])
        labels = {c.name: c.label for c in question.choices} if question else {}
        return [
            "call",
            "jr:choice-name",
            _resolve_choice_names(tree[2], questions),
            ["map", labels],
        ]
    return [tree[0], *(_resolve_choice_names(item, questions) for item in tree[1:])]
