"""A repeat's instances on the page without JavaScript: how many are drawn, "Add another" and
"Remove" (posted, answered by the same page with one more or one less), and the follow-ups an
answer in an instance brings up, which the page did not show.

Instances and their fields are named by key (:mod:`surveys.repeats`): ``kind#2`` is the kind
of incident 2, ``incident`` how many incidents there are, ``child#2`` how many children person 2
has. The page's buttons say what to change: ``add:child#2``, ``remove:child#2#1``.
"""

from __future__ import annotations

from typing import Any

from surveys.logic import form_values
from surveys.model import MAX_REPEATS, Group, Survey
from surveys.repeats import Path, Walk, instance_count, key_of, split_key

#: The repeat questions a page without JavaScript showed (see :func:`newly_asked`).
SHOWN_FIELD = "glas_shown"


def _repeat_at(survey: Survey, key: str, inside: bool) -> tuple[Group, Path] | None:
    """The repeat a button's key names, with the path of its count (``inside``: the key names
    an instance, one number more)."""
    split = split_key(key)
    group = survey.group_by_name.get(split[0]) if split else None
    if split is None or group is None or not group.repeat or group.repeat_count:
        return None
    depth = len(survey.repeat_chain[group.name]) + (1 if inside else 0)
    return (group, split[1]) if len(split[1]) == depth else None


def change_instances(survey: Survey, values: dict[str, list[str]], nav: str) -> bool:
    """Add or remove an instance in the posted values, as "add:KEY" or "remove:KEY" asks:
    removing moves the later instances' answers up. False when ``nav`` names no repeat whose
    instances the respondent may change."""
    action, _, key = nav.partition(":")
    if action not in ("add", "remove"):
        return False
    found = _repeat_at(survey, key, inside=action == "remove")
    if found is None:
        return False
    group, path = found
    parent = path[:-1] if action == "remove" else path
    given = form_values(values)
    for depth, outer in enumerate(survey.repeat_chain[group.name]):  # the instances it is in
        outer_count = instance_count(
            survey.group_by_name[outer], {outer: given.get(key_of(outer, parent[:depth]), "1")}
        )
        if not 1 <= parent[depth] <= outer_count:
            return False
    count_key = key_of(group.name, parent)
    count = instance_count(group, {group.name: given.get(count_key, "1")})
    if action == "add":
        values[count_key] = [str(min(count + 1, MAX_REPEATS))]
        return True
    removed = path[-1]
    if not 1 <= removed <= count:
        return False
    inside, depth = survey.inside[group.name], len(parent)
    moving: list[tuple[str, Path, list[str]]] = []
    for field in list(values):
        split = split_key(field)
        if split is None or split[0] not in inside:
            continue
        name, numbers = split
        if numbers[:depth] == parent and len(numbers) > depth and numbers[depth] >= removed:
            moving.append((name, numbers, values.pop(field)))
    for name, numbers, sent in moving:
        if numbers[depth] > removed:
            values[key_of(name, (*parent, numbers[depth] - 1, *numbers[depth + 1 :]))] = sent
    values[count_key] = [str(count - 1)]
    return True


def newly_asked(survey: Survey, page: int, values: dict[str, Any], found: Walk) -> list[str]:
    """Questions of the page's repeat instances that the answers now ask, the page did not
    show, and that have no answer yet, in the page's order."""
    shown = set(" ".join(values.get(SHOWN_FIELD, [])).split())
    given = form_values(values)
    order = {q.name: i for i, q in enumerate(survey.pages[page])}
    found_keys = []
    for key in found.asked - shown:
        split = split_key(key)
        if split is None or split[0] not in order or not split[1] or given.get(key):
            continue
        question = survey.by_name[split[0]]
        if question.type not in ("note", "calculate", "file"):
            found_keys.append((split[1], order[split[0]], key))
    return [key for *_, key in sorted(found_keys)]
