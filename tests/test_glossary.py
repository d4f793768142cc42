"""One word per language for the words that recur (issue 28): reviewer, codename, testimony,
centre. Before, one Macedonian page called the reviewers both "рецензенти" and
"проценувачите". portal/translations/glossary.yaml names each language's word; every text of
the interface catalogues and of the example surveys whose English has the word uses it, and
none of its synonyms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from .conftest import EXAMPLES, ROOT

TRANSLATIONS = ROOT / "portal" / "translations"
GLOSSARY: dict[str, dict[str, Any]] = yaml.safe_load((TRANSLATIONS / "glossary.yaml").read_text())
LANGUAGES = ("mk", "sq", "sr", "ru", "uk")


def misused(english: str, language: str, text: str) -> list[str]:
    """The glossary terms of ``english`` that ``text`` (in ``language``) does not use right."""
    found = []
    for term, spec in GLOSSARY.items():
        if not re.search(spec["english"], english, re.IGNORECASE):
            continue
        rule = spec[language]
        lowered = text.lower()
        if rule["use"].lower() not in lowered or any(n.lower() in lowered for n in rule["never"]):
            found.append(term)
    return found


def catalogue_texts(language: str) -> Iterator[tuple[str, str]]:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        for message in read_po(po, locale=language):
            english = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                if english and text:
                    yield english, text


def survey_texts(node: Any) -> Iterator[dict[str, str]]:
    """Every translated text of a definition: a mapping with English and other languages."""
    if isinstance(node, dict):
        if "en" in node and all(isinstance(v, str) for v in node.values()):
            yield node
        for value in node.values():
            yield from survey_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from survey_texts(item)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_interface_uses_one_word_per_language(language: str) -> None:
    wrong = [
        (english[:60], terms)
        for english, text in catalogue_texts(language)
        if (terms := misused(english, language, text))
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_example_surveys_use_the_interfaces_words(path: Path) -> None:
    wrong = []
    for texts in survey_texts(yaml.safe_load(path.read_text())):
        for language in LANGUAGES:
            if language in texts and (terms := misused(texts["en"], language, texts[language])):
                wrong.append((texts["en"][:60], language, terms))
    assert not wrong, wrong


def test_the_glossary_check_catches_a_synonym() -> None:
    english = "Only the centre's reviewers can read it."
    assert misused(english, "mk", "Само проценувачите на центарот.") == ["reviewer"]
    assert misused(english, "mk", "Само рецензентите на центарот.") == []
