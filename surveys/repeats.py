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

from .expressions import NODE, calculate, evaluate, number_of
from .model import MAX_REPEATS, Group, Question, Survey

#: An instance's place: its number in each repeat from the outermost, e.g. (2, 1).
Path = tuple[int, ...]


def key_of(name: str, path: Path | list[Any]) -> str:
    """The key of ``name`` in the instance at ``path`` (the name itself outside repeats)."""
    return name + "".join(f"#{index}" for index in path)


def split_key(key: str) -> tuple[str, Path] | None:
    """A key's name and instance path; None when the numbers are not plain numbers."""
    name, *numbers = key.split("#")
    if not all(n.isdigit() and len(n) <= 3 for n in numbers):
        return None
    return name, tuple(int(n) for n in numbers)


@dataclass
class Walk:
    """What the walk found: the keys asked, the values without the skipped ones (calculations
    computed), and each instance's context (what its rules read), by its path's key suffix."""

    asked: set[str] = field(default_factory=set)
    kept: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, dict[str, str]] = field(default_factory=dict)

    def context(self, path: Path) -> dict[str, str]:
        return self.contexts.get(key_of("", path), self.kept)


def walk(survey: Survey, values: Mapping[str, str]) -> Walk:
    """Walk the whole survey in order, every repeat instance by instance (a repeat that is
    asked puts its own key in the asked set, whatever instances it has)."""
    found = Walk(kept=dict(values))
    _blocks(survey, survey.blocks, found.kept, (), found)
    return found


def _blocks(
    survey: Survey, blocks: list[Question | Group], context: dict[str, str], path: Path, w: Walk
) -> None:
    for block in blocks:
        if isinstance(block, Question):
            decide(survey, block, key_of(block.name, path), context, w.kept, w.asked)
        else:
            _repeat(survey, block, context, path, w)


def decide(
    survey: Survey,
    question: Question,
    key: str,
    context: dict[str, str],
    kept: dict[str, str],
    asked: set[str],
) -> None:
    """Ask ``question`` (as ``key``) or skip it, its rules read in ``context``; a calculation
    asked is computed there, one skipped (or empty) drops its value from both."""
    if all(evaluate(tree, context) for tree in survey.relevance[question.name]):
        asked.add(key)
        if question.type != "calculate":
            return
        result = calculate(survey.calculations[question.name], context)
        if result:
            context[question.name] = kept[key] = result
            return
    context.pop(question.name, None)
    kept.pop(key, None)


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
    relevant = all(evaluate(tree, context) for tree in survey.group_relevance[group.name])
    sent = {**context, group.name: w.kept.get(count_key, "1")}
    count = instance_count(group, sent) if relevant else 0
    _drop_beyond(survey, group, path, count, w.kept)
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


def _drop_beyond(
    survey: Survey, group: Group, path: Path, count: int, kept: dict[str, str]
) -> None:
    """Forget the answers of instances beyond ``count`` (a form may send any)."""
    inside = survey.inside[group.name]
    depth = len(path)
    for key in [k for k in kept if "#" in k]:
        split = split_key(key)
        if split is None:
            continue
        name, numbers = split
        beyond = len(numbers) > depth and numbers[depth] > count
        if beyond and name in inside and numbers[:depth] == path:
            del kept[key]


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
