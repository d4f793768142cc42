"""Read YAML (or JSON) into mappings and lists that remember each value's line.

Organizers write definition files by hand, so an error must point at the line to fix. Shared
by survey definitions and the warning feed; refuses oversized files and YAML aliases (a
"billion laughs" file cannot blow up).
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem, SurveyDefinitionError

MAX_DEFINITION_BYTES = 2 * 1024 * 1024


class Located(dict[str, Any]):
    """A mapping that remembers the line of each of its keys."""

    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    line: int


def read_document(data: bytes, source: str) -> Any:
    """Parse YAML (or JSON) into mappings and lists that know their line numbers; refuse
    oversized files, aliases and syntax errors with the line. Shared by surveys and alerts."""
    if len(data) > MAX_DEFINITION_BYTES:
        limit = MAX_DEFINITION_BYTES // 1024
        raise SurveyDefinitionError(source, [Problem(0, f"larger than the {limit} KiB limit")])
    try:
        text = data.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        plain = _plain(node, set()) if node is not None else None
    except UnicodeDecodeError as e:
        raise SurveyDefinitionError(source, [Problem(0, "not UTF-8 text")]) from e
    except _BrokenCharacter as e:
        problem = Problem(e.line, "the text holds half of a character (a lone \\uD800-\\uDFFF)")
        raise SurveyDefinitionError(source, [problem]) from None
    except _AliasFound as e:
        problem = Problem(e.line, "YAML anchors and aliases (& and *) are not supported here")
        raise SurveyDefinitionError(source, [problem]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        what = getattr(e, "problem", None) or "not valid YAML or JSON"
        raise SurveyDefinitionError(source, [Problem(line, f"syntax error: {what}")]) from e
    return plain


class _BrokenCharacter(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _AliasFound(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _plain(node: yaml.Node, seen: set[int]) -> Any:
    """Turn a YAML node into dicts, lists and scalars that know their lines.

    A node met twice is an alias: refused, so a "billion laughs" file cannot blow up.
    """
    if isinstance(node, yaml.CollectionNode):
        if id(node) in seen:
            raise _AliasFound(node.start_mark.line + 1)
        seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        mapping = Located()
        mapping.line, mapping.key_lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = _whole_characters(str(key_node.value), key_node.start_mark.line + 1)
            mapping[key] = _plain(value_node, seen)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = LocatedList(_plain(item, seen) for item in node.value)
        items.line = node.start_mark.line + 1
        return items
    # Scalars: resolve the YAML 1.1 types (bool, int, ...) the safe loader would.
    value = yaml.SafeLoader(" ").construct_object(node, deep=True)
    return _whole_characters(value, node.start_mark.line + 1) if isinstance(value, str) else value


def _whole_characters(text: str, line: int) -> str:
    """PyYAML reads JSON's escaped emoji ("\\ud83d\\ude00") as two halves of a character;
    join them, and refuse a half on its own (it could not even be shown on a page)."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise _BrokenCharacter(line) from None
