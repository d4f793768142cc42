"""Surveys shown page by page without JavaScript: skip logic applies as the respondent moves on.

Nothing is kept on the server between pages. Every page's fields are in the one form: the
pages not shown are ``hidden`` and carry the answers given so far back and forth (over the
onion's encryption, never stored); only the shown page's fields are ``required``. Files can
only be asked on the last page (the loader enforces it), so none has to wait on the server.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from babel.dates import get_month_names
from flask import g, render_template, request
from flask_babel import get_locale

from surveys.expressions import Tree, references
from surveys.logic import form_values, next_page
from surveys.model import Group, Question, Survey
from surveys.repeats import Walk, walk

from ..security import allow_browser_crypto
from ..storage import PublishedSurvey

PAGE_FIELD = "glas_page"
NAV_FIELD = "glas_nav"
MOVES = {"next": 1, "back": -1}


@dataclass(frozen=True)
class Heading:
    """A group's heading, with the rules that skip it (for the script's live hiding)."""

    group: Group
    trees: list[Tree]


def render_survey(
    published: PublishedSurvey,
    values: dict[str, Any],
    errors: dict[str, Any],
    page: int = -1,
    found: Walk | None = None,
    notice: str = "",
) -> str:
    """The survey form at ``page`` (-1: the first page that asks anything), drawn from the
    request's walk of ``values`` (``found``; walked here only when the request has none).

    It may load the crypto bundle, so it gets the CSP that allows it."""
    allow_browser_crypto()
    survey = published.survey
    if found is None:
        found = walk(survey, form_values(values))
    g.glas_walk = found  # what offered() reads: each instance's context, walked once
    asked = found.asked
    if page < 0 or page >= len(survey.pages):
        page = next_page(survey, -1, asked) or 0
    return render_template(
        "respondent/survey.html",
        published=published,
        values=values,
        errors=errors,
        page=page,
        asked=asked,
        counts=found.drawn,
        notice=notice,
        shown=" ".join(sorted(key for key in asked if "#" in key)),
        last=next_page(survey, page, _may_be_asked(survey, page, values, asked)) is None,
        has_previous=next_page(survey, page, asked, -1) is not None,
        settled=_settled_skips(survey, page, asked) if survey.multipage else set(),
    )


def _may_be_asked(survey: Survey, page: int, values: dict[str, Any], asked: set[str]) -> set[str]:
    """What a later page may still ask: what is asked now, and whatever reads an answer not
    given yet on this page or after it. Without it, a page whose only question waits for an
    answer on this one would be counted out, and Send shown before it was ever asked."""
    given = set(form_values(values))
    open_names = {q.name for p in survey.pages[page:] for q in p} - given
    return asked | {q.name for q in survey.questions if survey.rule_reads[q.name] & open_names}


def requested_move() -> int:
    """+1 or -1 when the respondent pressed Next or Back, 0 for Send."""
    return MOVES.get(request.form.get(NAV_FIELD, ""), 0)


def current_page(survey: Survey) -> int:
    try:
        page = int(request.form.get(PAGE_FIELD, "0"))
    except ValueError:
        return 0
    return page if 0 <= page < len(survey.pages) else 0


def page_of(survey: Survey, key: str) -> int:
    """The page that asks a question (``key``: its name, or "name#n" in a repeat)."""
    name = key.split("#")[0]
    return next((i for i, page in enumerate(survey.pages) if any(q.name == name for q in page)), 0)


def new_groups(survey: Survey, question: Question, previous: Question | None) -> list[Heading]:
    """The groups a question opens (outermost first), to show their headings once."""
    before = {g.name for g in survey.enclosing_groups(previous)} if previous else set()
    opened = [g for g in reversed(survey.enclosing_groups(question)) if g.name not in before]
    return [Heading(g, survey.group_relevance[g.name]) for g in opened if g.label]


def instance_layout(survey: Survey, group: Group) -> list[tuple[Question | Group, list[Heading]]]:
    """What one instance of a repeat shows, block by block, with the headings of the groups
    each question opens inside it: the same for every instance, so worked out once a request
    (a page of 150 instances drew it 150 times)."""
    made: dict[tuple[int, str], list[tuple[Question | Group, list[Heading]]]]
    made = g.setdefault("glas_instance_layouts", {})
    key = (id(survey), group.name)
    found = made.get(key)
    if found is None:
        outer = {group.name, *(p.name for p in survey.parents(group))}
        found, previous = [], None
        for block in survey.blocks_in[group.name]:
            if isinstance(block, Question):
                opened = new_groups(survey, block, previous)
                found.append((block, [h for h in opened if h.group.name not in outer]))
                previous = block
            else:
                found.append((block, []))
                previous = None
        made[key] = found
    return found


def _settled_skips(survey: Survey, page: int, asked: set[str]) -> set[str]:
    """Questions on this page skipped by answers on earlier pages: those answers cannot change
    on this page, so the question is not shown at all."""
    earlier = {q.name for p in survey.pages[:page] for q in p}
    settled = set()
    for question in survey.pages[page]:
        needs = set().union(*(references(t) for t in survey.relevance[question.name]))
        if question.name not in asked and needs <= earlier:
            settled.add(question.name)
    return settled


def month_options(question: Question) -> dict[str, list[tuple[str, str]]]:
    """The two selects of a month question: years (newest first, within the question's range;
    30 years back when it sets none) and month names in the page's language."""
    this_year = datetime.date.today().year
    first = int(question.minimum[:4]) if question.minimum else this_year - 30
    last = int(question.maximum[:4]) if question.maximum else this_year
    names = get_month_names("wide", context="stand-alone", locale=str(get_locale() or "en"))
    return {
        "years": [(str(y), str(y)) for y in range(last, first - 1, -1)],
        "months": [(f"{m:02d}", str(names[m])) for m in range(1, 13)],
    }
