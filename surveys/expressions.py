"""Skip logic and constraints: a small expression language, parsed into a tree, never ``eval``.

The language is the part of XLSForm's XPath that needs-assessment forms use::

    ${q} = 'x'      selected(${q}, 'x')      ${age} >= 18 and not(${consent} = 'no')
    count-selected(${q}) > 1      string-length(.) <= 20      . > 0 or ${other} != ''

``${name}`` is another question's answer, ``.`` the answer being checked (constraints only).
In a ``choice_filter`` (cascading selects), a bare word is a column of the choice being
filtered, as in XLSForm: ``district = ${district}``; ``name`` is the choice's own name. The
evaluator reads such a column from the values under ``@`` and its name (:func:`choice_values`),
where no question name can be.
A tree is plain nested lists (JSON), so the browser evaluates the very tree the server parsed
(``portal/static/js/glas-relevance.js``) and both give the same result by the same rules:

* An answer is text; a select_multiple answer is its choice names joined by spaces; no answer
  is ``''``.
* ``=`` and ``!=`` compare as numbers when either side is a number literal or arithmetic, else
  as text. ``<``, ``<=``, ``>``, ``>=`` compare as numbers when both sides read as numbers, as
  text when neither does (ISO dates order correctly), and are false otherwise (e.g. no answer).
* A value counts as true when it is a non-empty text or a non-zero number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal, DecimalException
from typing import Any

from . import xpath_functions
from .errors import SurveyError, TooMuchWork
from .messages import N_, Message

#: Longest expression accepted (XLSForm cells are rarely longer than a line).
MAX_EXPRESSION_LENGTH = 1000
#: Deepest nesting accepted: a tree this deep still evaluates far below the recursion limit.
MAX_DEPTH = 40
COMPARISONS = ("=", "!=", "<=", ">=", "<", ">")
#: Functions by arity (-1: one or more). Beyond skip logic, the ones calculations in real forms
#: use; ``jr:choice-name``'s second argument ('${q}') is resolved to q's labels by the survey.
FUNCTIONS = {
    "selected": 2,
    "count-selected": 1,
    "string-length": 1,
    "if": 3,
    "concat": -1,
    "coalesce": 2,
    "round": -1,
    "int": 1,
    "number": 1,
    "string": 1,
    "selected-at": 2,
    "regex": 2,
    "sum": 1,
    "once": 1,
    "jr:choice-name": 2,
    "count": 1,
    "position": 1,
    "indexed-repeat": 3,
    "lookup": -1,
    **dict.fromkeys(xpath_functions.ARITY, -1),
}
#: Functions that read files attached to an ODK form: refused, saying so.
FROM_FILES = {"pulldata", "search", "instance"}
#: Pairs one lookup() may hold: an imported form's lookup in an attached file, by key.
MAX_LOOKUP_PAIRS = 5_000
#: Longest regex() pattern: organizers write them, the server runs them on every submission.
MAX_PATTERN = 200
#: Longest value a rule or calculation may build: ``concat(${c}, ${c})`` twenty-five times over
#: would otherwise make gigabytes of eight typed characters. Room for what real forms do (the
#: names of a roster of 50 joined: 50 texts of 500 characters, or five long answers in one),
#: checked as values are built (concat, join), and at import against the longest value a
#: calculation can make (surveys/bounds.py).
MAX_CALCULATION_LENGTH = 100_000
#: Significant digits a number keeps when it becomes text: the browser's numbers are binary
#: doubles, the server's decimals; both round to this many to give the same text.
SIGNIFICANT = 15
KEYWORDS = {"and", "or", "not", "div", "mod", "true", "false"}
#: What reads as a number (the same pattern as glas-logic.js: no "1_000", "NaN" or "0x1"), with
#: at most 40 digits before and after the point and a three-digit exponent.
NUMBER = re.compile(r"^[+-]?(?:\d{1,40}(?:\.\d{0,40})?|\.\d{1,40})(?:[eE][+-]?\d{1,3})?$", re.ASCII)
#: Numbers from 1e-300 to 1e300 (and 0) are numbers; beyond, not (XPath's NaN), as the browser's
#: doubles would overflow: a typed "1e999999" never becomes a million digits of text, and no
#: arithmetic on it raises decimal.Overflow.
MAX_EXPONENT = 300
#: A question's (or group's) name, as XLSForm allows it.
NAME = r"[A-Za-z_][A-Za-z0-9_.-]{0,119}"
#: A tree is a list: [operator, operand...]; operands are trees or strings.
Tree = list[Any]
Values = Mapping[str, str]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{(?P<name>[A-Za-z_][A-Za-z0-9_.-]{0,119})\})
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>!=|<=|>=|=|<|>|\(|\)|,|\+|-|\*)
    | (?P<word>jr:choice-name|[A-Za-z][A-Za-z0-9_.-]*)
    | (?P<parent>\.\.)
    | (?P<self>\.)
    )""",
    re.VERBOSE,
)


class ExpressionError(SurveyError, ValueError):
    """An expression that cannot be parsed; the message says where and what was expected,
    quoting the faulty words. ``message`` lets the organizer's pages say it in her language;
    ``str()`` is English (the CLI, the reviewer's tools)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.message = Message(template, params)
        super().__init__(str(self.message))


def parse(text: str, *, allow_self: bool = False, allow_columns: bool = False) -> Tree:
    """Parse ``text`` into a tree; raise :class:`ExpressionError` with a readable message.
    ``allow_columns``: bare words are columns of a choice (a choice_filter)."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(N_("longer than %(most)s characters"), most=MAX_EXPRESSION_LENGTH)
    if "${last-saved#" in text:  # ODK Collect's previous submission on the same phone
        raise ExpressionError(
            N_("${last-saved#…} reads the previous submission, which Glas never keeps")
        )
    return _Parser(text, allow_self, allow_columns).parse()


def columns(tree: Any) -> set[str]:
    """The choice columns a choice_filter reads."""
    if not isinstance(tree, list):
        return set()
    if tree[0] == "col":
        return {tree[1]}
    return set().union(*(columns(item) for item in tree[1:]))


def choice_values(name: str, extra: Sequence[tuple[str, str]]) -> dict[str, str]:
    """A choice's name and columns as a choice_filter reads them (under ``@``)."""
    return {"@name": name, **{"@" + column: value for column, value in extra}}


def references(tree: Any) -> set[str]:
    """The question names a tree reads (to check they exist)."""
    if not isinstance(tree, list):
        return set()
    if tree[0] in ("ref", "refs"):
        return {tree[1]}
    if tree[0] == "idx":
        return {tree[1]} | references(tree[2])
    return set().union(*(references(item) for item in tree[1:]))


def evaluate(tree: Tree, values: Values, current: str = "") -> bool:
    """Whether the expression holds for these answers (``current`` is the value of ``.``)."""
    return _truth(_value(tree, values, current))


def calculate(tree: Tree, values: Values) -> str:
    """A calculation's result as text, as it is stored and as other rules read it."""
    return _text(_value(tree, values, ""))


class _Parser:
    def __init__(self, text: str, allow_self: bool, allow_columns: bool = False) -> None:
        self.text = text
        self.allow_self = allow_self
        self.allow_columns = allow_columns
        self.tokens = self._tokenize(text)
        self.position = 0
        self.depth = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        index = 0
        while index < len(text):
            if text[index:].strip() == "":
                break
            match = _TOKEN.match(text, index)
            if match is None or match.end() == index:
                raise ExpressionError(
                    N_("cannot read '%(words)s'"), words=text[index:].strip()[:20]
                )
            kind = match.lastgroup
            if kind == "name":
                kind = "ref"
            value = match.group("name") if kind == "ref" else match.group(kind or "")
            if kind == "string":
                value = value[1:-1]
            tokens.append((kind or "", value))
            index = match.end()
        return tokens

    def parse(self) -> Tree:
        if not self.tokens:
            raise ExpressionError(N_("the rule is empty"))
        tree = self._or()
        if self.position < len(self.tokens):
            raise ExpressionError(N_("unexpected '%(words)s'"), words=self.tokens[self.position][1])
        return tree

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self, kind: str, value: str | None = None) -> bool:
        token = self._peek()
        if token[0] == kind and (value is None or token[1] == value):
            self.position += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._take("op", value):
            found = self._peek()[1] or "the end"
            raise ExpressionError(
                N_("expected '%(wanted)s' but found '%(words)s'"), wanted=value, words=found
            )

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(N_("nested more than %(most)s levels deep"), most=MAX_DEPTH)

    def _or(self) -> Tree:
        tree = self._and()
        while self._take("word", "or"):
            tree = ["or", tree, self._and()]
        return tree

    def _and(self) -> Tree:
        tree = self._not()
        while self._take("word", "and"):
            tree = ["and", tree, self._not()]
        return tree

    def _not(self) -> Tree:
        if self._take("word", "not"):
            self._nested()
            return ["not", self._not()]
        return self._comparison()

    def _comparison(self) -> Tree:
        tree = self._sum()
        kind, value = self._peek()
        if kind == "op" and value in COMPARISONS:
            self.position += 1
            tree = ["cmp", value, tree, self._sum()]
        return tree

    def _sum(self) -> Tree:
        tree = self._product()
        while self._peek() in (("op", "+"), ("op", "-")):
            op = self.tokens[self.position][1]
            self.position += 1
            tree = ["math", op, tree, self._product()]
        return tree

    def _product(self) -> Tree:
        tree = self._unary()
        while self._peek() in (("op", "*"), ("word", "div"), ("word", "mod")):
            op = self.tokens[self.position][1]
            self.position += 1
            tree = ["math", op, tree, self._unary()]
        return tree

    def _unary(self) -> Tree:
        if self._take("op", "-"):
            self._nested()
            return ["math", "-", ["num", "0"], self._unary()]
        return self._primary()

    def _primary(self) -> Tree:
        kind, value = self._peek()
        self.position += 1
        if kind == "ref":
            return ["ref", value]
        if kind == "number":
            return ["num", value]
        if kind == "string":
            return ["str", value]
        if kind == "parent":
            raise ExpressionError(N_("'..' only works in position(..)"))
        if kind == "self":
            if not self.allow_self:
                raise ExpressionError(N_("'.' (this answer) only works in a check"))
            return ["self"]
        if kind == "op" and value == "(":
            self._nested()
            tree = self._or()
            self._expect(")")
            return tree
        if kind == "word" and value in ("true", "false") and self._take("op", "("):
            self._expect(")")
            return ["num", "1" if value == "true" else "0"]
        if kind == "word" and value in FUNCTIONS:
            return self._call(value)
        if kind == "word" and self.allow_columns and value not in KEYWORDS:
            return ["col", value]
        if kind == "word" and value in FROM_FILES:
            raise ExpressionError(N_("%(words)s() reads a file Glas does not have"), words=value)
        if kind == "word":
            raise ExpressionError(
                N_("unknown word '%(words)s' (question names are written ${name})"), words=value
            )
        raise ExpressionError(
            N_("expected a value but found '%(words)s'")
            if value
            else N_("expected a value but the rule ends"),
            words=value,
        )

    def _call(self, name: str) -> Tree:
        self._nested()
        self._expect("(")
        if name == "position":
            if not self._take("parent"):
                raise ExpressionError(N_("position() takes '..': position(..), inside a repeat"))
            self._expect(")")
            return ["pos"]
        args = [] if self._peek() == ("op", ")") else [self._or()]
        while args and self._take("op", ","):
            args.append(self._or())
        self._expect(")")
        if name in xpath_functions.ARITY:
            return self._more(name, args)
        if name == "lookup":
            return self._lookup(args)
        if not args:
            raise ExpressionError(N_("%(words)s() takes a value"), words=name)
        arity = FUNCTIONS[name]
        if name == "round" and len(args) not in (1, 2):
            raise ExpressionError(N_("round() takes 1 or 2 values, not %(found)s"), found=len(args))
        if arity > 0 and len(args) != arity:
            raise ExpressionError(
                N_("%(words)s() takes %(wanted)s value(s), not %(found)s"),
                words=name,
                wanted=arity,
                found=len(args),
            )
        if name == "regex" and (args[1][0] != "str" or len(args[1][1]) > MAX_PATTERN):
            raise ExpressionError(
                N_("regex() takes a pattern in quotes, at most %(most)s long"), most=MAX_PATTERN
            )
        if name == "regex":
            try:
                re.compile(args[1][1], re.ASCII)
            except re.error as e:
                raise ExpressionError(N_("regex() pattern: %(why)s"), why=str(e)) from None
        if name == "jr:choice-name" and not (
            args[1][0] == "str" and re.fullmatch(r"\$\{" + NAME + r"\}", args[1][1])
        ):
            raise ExpressionError(N_("jr:choice-name() names its question as '${name}'"))
        if name in ("count", "sum") and args[0][0] == "ref":
            return ["call", name, ["refs", args[0][1]]]  # every instance's answer (a repeat)
        if name == "count":
            raise ExpressionError(N_("count() counts a repeat's answers: count(${name})"))
        if name == "indexed-repeat":
            if args[0][0] != "ref" or args[1][0] != "ref":
                raise ExpressionError(N_("indexed-repeat() takes ${question}, ${repeat}, a number"))
            return ["idx", args[0][1], args[2]]
        return ["call", name, *args]

    def _lookup(self, args: list[Tree]) -> Tree:
        """``lookup(key, 'k1', 'v1', 'k2', 'v2', …)``: the value paired with the key, or ''.
        An imported form's ``pulldata()`` or ``instance('file')/root/item[k = …]/v`` is
        written so, with the attached file's pairs; it evaluates as jr:choice-name does."""
        pairs = args[1:]
        if not args or len(pairs) % 2 or any(a[0] != "str" for a in pairs):
            raise ExpressionError(N_("lookup() takes a value, then pairs of texts in quotes"))
        if len(pairs) // 2 > MAX_LOOKUP_PAIRS:
            raise ExpressionError(
                N_("lookup() holds at most %(most)s pairs"), most=f"{MAX_LOOKUP_PAIRS:,}"
            )
        table: dict[str, str] = {}
        for key, value in zip(pairs[::2], pairs[1::2], strict=True):
            table.setdefault(key[1], value[1])
        return ["call", "jr:choice-name", args[0], ["map", table]]

    def _more(self, name: str, args: list[Tree]) -> Tree:
        """A function of :mod:`surveys.xpath_functions`: its number of values checked, a
        repeat's answer read in every instance where it takes them all."""
        fewest, most = xpath_functions.ARITY[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = (
                f"{fewest}"
                if fewest == most
                else f"{fewest} or more"
                if most is None
                else f"{fewest} to {most}"
            )
            raise ExpressionError(
                N_("%(words)s() takes %(wanted)s value(s), not %(found)s"),
                words=name,
                wanted=wanted,
                found=len(args),
            )
        if name in xpath_functions.NODE_SETS:
            args = [["refs", a[1]] if a[0] == "ref" else a for a in args]
        return ["call", name, *args]


# Evaluation ---------------------------------------------------------------------------------

# None: a number that is not one (XPath's NaN); a list: a repeat's answers, one per instance.
_Value = str | Decimal | dict[str, str] | list[str] | None
#: Functions whose result is a number (a comparison with them compares numbers).
NUMERIC_CALLS = {
    "count-selected", "string-length", "number", "sum", "int", "round", "count",
    *xpath_functions.NUMERIC,
}  # fmt: skip
#: Values of a repeat's question in every instance are kept under "*" and its name, each
#: preceded by this (a character no answer may hold); the instance being evaluated under "#".
NODE = "\x1f"


def _value(tree: Tree, values: Values, current: str) -> _Value:
    op = tree[0]
    if op == "ref":
        return values.get(tree[1], "")
    if op == "col":
        return values.get("@" + tree[1], "")
    if op == "map":  # a question's choice labels (jr:choice-name)
        return tree[1]  # type: ignore[no-any-return]
    if op == "self":
        return current
    if op == "refs":
        return nodes(values, tree[1])
    if op == "pos":
        return _number(values.get("#", "")) or Decimal(0)
    if op == "idx":
        index = _number(_value(tree[2], values, current))
        if index is None or not index.is_finite() or index != index.to_integral_value():
            return ""
        return values.get(f"{tree[1]}#{int(index)}", "")
    if op == "str":
        return str(tree[1])
    if op == "num":
        return Decimal(tree[1])
    if op == "not":
        return _boolean(not _truth(_value(tree[1], values, current)))
    if op == "and":
        return _boolean(
            _truth(_value(tree[1], values, current)) and _truth(_value(tree[2], values, current))
        )
    if op == "or":
        return _boolean(
            _truth(_value(tree[1], values, current)) or _truth(_value(tree[2], values, current))
        )
    if op == "cmp":
        return _boolean(_compare(tree, values, current))
    if op == "math":
        return _math(tree[1], _value(tree[2], values, current), _value(tree[3], values, current))
    arguments = [_value(arg, values, current) for arg in tree[2:]]
    try:
        return _call(tree[1], arguments)
    except (DecimalException, OverflowError, ValueError):
        # Whatever a function makes of extreme numbers (decimal.Overflow, an int() of NaN) is
        # not a number: XPath's NaN, never an error page.
        return None


def number_of(text: str) -> Decimal | None:
    """Text as the rules read a number (None when it is not one)."""
    return _number(text)


def nodes(values: Values, name: str) -> list[str]:
    """A question's answers in every instance of its repeat (one answer outside a repeat)."""
    joined = values.get("*" + name)
    if joined is None:
        return [values.get(name, "")]
    return joined.split(NODE)[1:]


def _boolean(flag: bool) -> Decimal:
    return Decimal(1 if flag else 0)


def _truth(value: _Value) -> bool:
    if isinstance(value, Decimal):
        return value != 0
    return bool(value)


def _number(value: _Value) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return _bounded(value)
    if isinstance(value, list):  # XPath: a node-set as a number is its first node's
        return _number(value[0] if value else "")
    if isinstance(value, dict):
        return None
    text = value.strip()
    if NUMBER.match(text):
        return _bounded(Decimal(text))
    return xpath_functions.date_days(text) if text[:1].isdigit() else None


def _bounded(number: Decimal | None) -> Decimal | None:
    """``number`` if it is a finite number within :data:`MAX_EXPONENT`, else None (NaN)."""
    if number is None or not number.is_finite():
        return None
    if number and not -MAX_EXPONENT <= number.adjusted() < MAX_EXPONENT:
        return None
    return number


def _numeric(tree: Tree) -> bool:
    return tree[0] in ("num", "math", "cmp", "and", "or", "not") or (
        tree[0] == "call" and tree[1] in NUMERIC_CALLS
    )


def _compare(tree: Tree, values: Values, current: str) -> bool:
    _, op, left_tree, right_tree = tree
    left, right = _value(left_tree, values, current), _value(right_tree, values, current)
    if op in ("=", "!="):
        if _numeric(left_tree) or _numeric(right_tree):
            a, b = _number(left), _number(right)
            equal = a is not None and b is not None and a == b
        else:
            equal = _text(left) == _text(right)
        return equal if op == "=" else not equal
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return _order(op, a, b)
    if a is None and b is None and isinstance(left, str) and isinstance(right, str):
        # Two texts that are not numbers, e.g. ISO dates; an empty answer compares to nothing.
        return bool(left and right) and _order(op, left, right)
    return False


def _order(op: str, a: Any, b: Any) -> bool:
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def _text(value: _Value) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    if isinstance(value, dict):
        return ""
    if isinstance(value, Decimal):
        if _bounded(value) is None:
            return ""
        rounded = Decimal(format(value, f".{SIGNIFICANT}g")).normalize()
        return "0" if rounded == 0 else format(rounded, "f")
    return value or ""


def _math(op: str, left: _Value, right: _Value) -> _Value:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return None
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            return None
        return a / b if op == "div" else a % b
    except DecimalException:
        return None


def _call(name: str, args: Sequence[_Value]) -> _Value:
    if name in xpath_functions.ARITY:
        found: _Value = xpath_functions.call(name, args, _text, _number, _boolean, _truth, _joined)
        return found
    if name == "selected":
        return _boolean(_text(args[1]) in _text(args[0]).split())
    if name == "count-selected":
        return Decimal(len(_text(args[0]).split()))
    if name == "string-length":
        return Decimal(len(_text(args[0])))
    if name == "if":
        return args[1] if _truth(args[0]) else args[2]
    if name == "concat":
        return _joined("", [_text(a) for a in args])
    if name == "coalesce":
        return args[0] if _text(args[0]) != "" else args[1]
    if name == "count":
        return Decimal(len(args[0])) if isinstance(args[0], list) else Decimal(0)
    if name == "sum" and isinstance(args[0], list):
        return _sum(args[0])
    if name in ("number", "sum"):
        return _number(args[0])
    if name == "string":
        return _text(args[0])
    if name == "once":
        return args[0]
    if name == "int":
        number = _number(args[0])
        return None if number is None else number.to_integral_value(ROUND_DOWN)
    if name == "round":
        return _round(args)
    if name == "selected-at":
        words, index = _text(args[0]).split(), _number(args[1])
        if index is None or index != index.to_integral_value() or not 0 <= index < len(words):
            return ""
        return words[int(index)]
    if name == "regex":
        # ASCII classes (\d, \w, \s) as in the browser's RegExp.
        return _boolean(re.search(_text(args[1]), _text(args[0]), re.ASCII) is not None)
    # jr:choice-name, its question resolved by the survey into ["map", {name: label}].
    labels = args[1]
    return labels.get(_text(args[0]), "") if isinstance(labels, dict) else ""


def _joined(separator: str, parts: list[str]) -> str:
    """``separator.join(parts)``, refused before it is built when it would be longer than
    :data:`MAX_CALCULATION_LENGTH` (each part is bounded already)."""
    length = sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0)
    if length > MAX_CALCULATION_LENGTH:
        raise TooMuchWork("characters in one calculated value, at most", MAX_CALCULATION_LENGTH)
    return separator.join(parts)


def _sum(items: list[str]) -> _Value:
    """The sum of a repeat's answers; instances left unanswered add nothing (a value that is
    not a number makes the sum not one)."""
    total = Decimal(0)
    for item in items:
        if item.strip() == "":
            continue
        number = _number(item)
        if number is None:
            return None
        total += number
    return total


def _round(args: Sequence[_Value]) -> _Value:
    """XPath's round: halves go up (2.5 → 3, -2.5 → -2); ODK's optional digits."""
    number = _number(args[0])
    digits = _number(args[1]) if len(args) > 1 else Decimal(0)
    if number is None or digits is None or not number.is_finite():
        return None
    scale = Decimal(10) ** int(digits)
    return (number * scale + Decimal("0.5")).to_integral_value(ROUND_FLOOR) / scale
