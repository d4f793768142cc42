"""Repeats: the skip logic walk instance by instance, and how an instance's answers are named.

A form field, a value the rules read and an entry of the asked set all name a question of a
repeat's instance by its *key*: the question's name, then the instance's number, then (in a
repeat inside a repeat) the inner instance's: ``age#2`` is the age of person 2, ``toy#2#1``
the first toy of child 2. A repeat's own key holds its number of instances (``child#2``: how
many children person 2 has). Question names never contain ``#``.

Inside an instance, rules read its answers under their plain names and its number under ``#``
(``position(..)``); rules after a repeat read every instance's answers through ``count()`` and
``sum()`` (under ``*`` and the name, see :func:`surveys.expressions.nodes`) and the first
instance's through a plain ``${name}``, as XPath does. ``glas-logic.js`` walks the very same
way; ``tests/test_repeats.py`` holds the two to the same results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import TooMuchWork
from .expressions import NODE, calculate, evaluate, number_of
from .model import MAX_INSTANCES, MAX_REPEATS, MAX_STEPS, Group, Question, Survey

#: An instance's place: its number in each repeat from the outermost, e.g. (2, 1).
Path = tuple[int, ...]


def key_of(name: str, path: Path | list[Any]) -> str:
    """The key of ``name`` in the instance at ``path`` (the name itself outside repeats)."""
    return name + "#" + "#".join(map(str, path)) if path else name


def split_key(key: str) -> tuple[str, Path] | None:
    """A key's name and instance path; None when the numbers are not plain numbers."""
    name, *numbers = key.split("#")
    if not all(n.isdigit() and len(n) <= 3 for n in numbers):
        return None
    return name, tuple(int(n) for n in numbers)


@dataclass
class Budget:
    """What one walk may spend, whatever the survey's structure or the answers posted:
    instances of all repeats together (drawn or asked, at every depth) and rule evaluations.
    Spending past either raises :class:`~surveys.errors.TooMuchWork`."""

    instances: int = MAX_INSTANCES
    steps: int = MAX_STEPS

    def instance(self, count: int) -> None:
        self.instances -= count
        if self.instances < 0:
            raise TooMuchWork("repeat instances in all, at most", MAX_INSTANCES)

    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise TooMuchWork("rule evaluations, at most", MAX_STEPS)


@dataclass
class Walk:
    """What the walk found: the keys asked, the values without the skipped ones (calculations
    computed), each instance's context (what its rules read), by its path's key suffix, and how
    many instances each repeat has on the page (``drawn``: the asked ones' count, or for one
    skipped as many as the form had, which the script may show later)."""

    asked: set[str] = field(default_factory=set)
    kept: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, dict[str, str]] = field(default_factory=dict)
    drawn: dict[str, int] = field(default_factory=dict)
    given: Mapping[str, str] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    _keyed: dict[str, list[tuple[str, Path]]] | None = field(default=None, repr=False)

    def context(self, path: Path) -> dict[str, str]:
        return self.contexts.get(key_of("", path), self.kept)

    def keyed(self) -> dict[str, list[tuple[str, Path]]]:
        """The instance keys the form sent, by question name: read once, so that dropping
        what lies beyond each repeat's instances costs its own keys, not all of the form's."""
        if self._keyed is None:
            self._keyed = {}
            for key in self.given:
                split = split_key(key) if "#" in key else None
                if split is not None:
                    self._keyed.setdefault(split[0], []).append((key, split[1]))
        return self._keyed

    def holds(self, trees: list[Any], context: Mapping[str, str]) -> bool:
        """Whether every rule holds (each evaluation is charged to the budget)."""
        for tree in trees:
            self.budget.step()
            if not evaluate(tree, context):
                return False
        return True


def walk(survey: Survey, values: Mapping[str, str], budget: Budget | None = None) -> Walk:
    """Walk the whole survey in order, every repeat instance by instance (a repeat that is
    asked puts its own key in the asked set, whatever instances it has). The one walk of a
    request: skip logic, calculations, repeats, validation and drawing all read it."""
    found = Walk(kept=dict(values), given=values, budget=budget or Budget())
    if not survey.repeats and not survey.calculations:
        # Questions only: decided in order, each rule once (most surveys, and the reviewer's
        # check of 100,000 submissions).
        found.asked = set(survey.always_asked)
        for question, rules in survey.ruled_questions:
            if found.holds(rules, found.kept):
                found.asked.add(question)
            else:
                found.kept.pop(question, None)
        return found
    _blocks(survey, survey.blocks, found.kept, (), found)
    return found


def _blocks(
    survey: Survey, blocks: list[Question | Group], context: dict[str, str], path: Path, w: Walk
) -> None:
    for block in blocks:
        if isinstance(block, Question):
            _decide(survey, block, key_of(block.name, path), context, w)
        else:
            _repeat(survey, block, context, path, w)


def _decide(survey: Survey, question: Question, key: str, context: dict[str, str], w: Walk) -> None:
    """Ask ``question`` (as ``key``) or skip it, its rules read in ``context``; a calculation
    asked is computed there, one skipped (or empty) drops its value from both."""
    if w.holds(survey.relevance[question.name], context):
        w.asked.add(key)
        if question.type != "calculate":
            return
        w.budget.step()
        result = calculate(survey.calculations[question.name], context)
        if result:
            context[question.name] = w.kept[key] = result
            return
    context.pop(question.name, None)
    w.kept.pop(key, None)


def instance_count(group: Group, values: Mapping[str, str]) -> int:
    """How many instances a repeat has: its repeat_count, else as many as the form says (one
    to begin with), never more than MAX_REPEATS; what is not a number is none."""
    if group.repeat_count_tree is not None:
        text = calculate(group.repeat_count_tree, values)
    else:
        text = values.get(group.name, "1")
    number = number_of(text)
    if number is None or not number.is_finite():
        return 0
    return int(max(Decimal(0), min(number, Decimal(MAX_REPEATS))))


def _repeat(survey: Survey, group: Group, context: dict[str, str], path: Path, w: Walk) -> None:
    count_key = key_of(group.name, path)
    relevant = w.holds(survey.group_relevance[group.name], context)
    sent = {**context, group.name: w.kept.get(count_key, "1")}
    w.budget.step()
    drawn = instance_count(group, sent)
    w.budget.instance(drawn)
    w.drawn[count_key] = drawn
    count = drawn if relevant else 0
    if not relevant:
        _draw_skipped(survey, group, path, drawn, w)
    _drop_beyond(survey, group, path, count, w)
    w.kept[count_key] = context[group.name] = str(count)
    if relevant:
        w.asked.add(count_key)
    for index in range(1, count + 1):
        inner = instance_context(survey, group.name, (*path, index), w.kept, context)
        w.contexts[key_of("", (*path, index))] = inner
        _blocks(survey, survey.blocks_in[group.name], inner, (*path, index), w)
    # What rules after the repeat read: every instance (count, sum), or the first (XPath).
    context["*" + group.name] = "".join(NODE + str(i) for i in range(1, count + 1))
    for question in survey.repeats[group.name]:
        answers = [w.kept.get(key_of(question.name, (*path, i)), "") for i in range(1, count + 1)]
        context["*" + question.name] = "".join(NODE + answer for answer in answers)
        if answers and answers[0]:
            context[question.name] = answers[0]
        else:
            context.pop(question.name, None)


def _draw_skipped(survey: Survey, group: Group, path: Path, count: int, w: Walk) -> None:
    """The instances of a skipped repeat's inner repeats as the form had them: drawn hidden,
    for the script to show if the repeat comes back (each one charged to the budget)."""
    for index in range(1, count + 1):
        at = (*path, index)
        for block in survey.blocks_in[group.name]:
            if isinstance(block, Group):
                key = key_of(block.name, at)
                w.budget.step()
                drawn = instance_count(block, {**w.kept, block.name: w.given.get(key, "1")})
                w.budget.instance(drawn)
                w.drawn[key] = drawn
                _draw_skipped(survey, block, at, drawn, w)


def _drop_beyond(survey: Survey, group: Group, path: Path, count: int, w: Walk) -> None:
    """Forget the answers of instances beyond ``count`` (a form may send any)."""
    depth = len(path)
    for name in survey.inside[group.name]:
        for key, numbers in w.keyed().get(name, ()):
            beyond = len(numbers) > depth and numbers[depth] > count
            if beyond and numbers[:depth] == path:
                w.kept.pop(key, None)


def instance_context(
    survey: Survey, repeat: str, path: Path, kept: Mapping[str, str], outer: Mapping[str, str]
) -> dict[str, str]:
    """What a rule in the instance at ``path`` reads: the enclosing context, the instance's
    own answers (and inner repeats' numbers) under their plain names, its number under "#"."""
    context = {**outer, "#": str(path[-1])}
    names = [q.name for q in survey.repeats[repeat]]
    names += [b.name for b in survey.blocks_in[repeat] if isinstance(b, Group)]
    for name in names:
        own = kept.get(key_of(name, path))
        if own is None:
            context.pop(name, None)
        else:
            context[name] = own
    return context


def flatten(answers: Mapping[str, Any]) -> dict[str, str]:
    """Typed answers (a repeat as a list of objects, one per instance, at any depth) as the
    rules read them: plain text by key, each repeat's number of instances under its key."""
    found: dict[str, str] = {}
    _flatten(answers, (), found)
    return found


def _flatten(answers: Mapping[str, Any], path: Path, found: dict[str, str]) -> None:
    for name, value in answers.items():
        key = key_of(str(name), path)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            found[key] = str(len(value))
            for index, instance in enumerate(value[:MAX_REPEATS], 1):
                _flatten(instance, (*path, index), found)
        elif isinstance(value, list):
            found[key] = " ".join(map(str, value))
        else:
            found[key] = str(value)
