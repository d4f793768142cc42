"""Questions in the designer: added, edited (with the rule builder), moved and deleted."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from ..i18n import translate
from . import bp
from .auth import confirm_first
from .checks import CHECK_ROWS
from .drafts import (
    built_check,
    fill_question_form,
    move,
    question_from_form,
    rule_problem,
    text_of,
)
from .forms import CHECK_WORDS, QUESTION_KINDS, RULE_OPERATORS, QuestionForm, RuleFields
from .rules import ROWS
from .surveys import draft_or_404, save_and_return

#: The types a new question's page may be opened for (?type=).
KINDS = {kind for kind, _name, _what in QUESTION_KINDS}


@bp.route("/surveys/<survey_id>/questions/new", methods=["GET", "POST"])
@bp.route("/surveys/<survey_id>/questions/<int:index>", methods=["GET", "POST"])
def edit_question(survey_id: str, index: int | None = None) -> ResponseReturnValue:
    draft = draft_or_404(survey_id)
    questions: list[dict[str, Any]] = draft.setdefault("questions", [])
    if index is not None and not 0 <= index < len(questions):
        abort(404)
    language = draft.get("language", "en")
    old = questions[index] if index is not None else {}
    form = QuestionForm()
    form.group.choices = ["", *(g["name"] for g in draft.get("groups", []))]
    others = [q for i, q in enumerate(questions) if i != index and q.get("type") != "note"]
    offer_rule_questions(form, others, language)
    offer_checks(form, others, language)
    if request.method == "GET" and index is None and request.args.get("type") in KINDS:
        form.type.data = request.args["type"]
    showing = request.method == "POST" and bool(request.form.get("show_type"))
    if request.method == "POST" and not showing and form.validate() and rules_read(form):
        question = question_from_form(form, old, language, questions)
        if index is None:
            questions.append(question)
            action = "added a question"
        else:
            questions[index] = question
            action = "edited a question"
        return save_and_return(survey_id, draft, action, question["name"])
    if request.method == "GET" and index is not None:
        fill_question_form(form, old, language)
    status = 422 if request.method == "POST" and not showing else 200
    page = render_template(
        "organizer/question.html",
        form=form,
        survey_id=survey_id,
        index=index,
        draft=draft,
        question_kinds=QUESTION_KINDS,
    )
    return page, status


@bp.post("/surveys/<survey_id>/questions/<int:index>/move")
def move_question(survey_id: str, index: int) -> ResponseReturnValue:
    draft = draft_or_404(survey_id)
    questions = draft.get("questions", [])
    if not 0 <= index < len(questions):
        abort(404)
    up = request.form.get("direction") == "up"
    name = str(questions[index].get("name"))
    move(questions, index, -1 if up else 1)
    return save_and_return(
        survey_id, draft, "moved a question up" if up else "moved a question down", name
    )


@bp.post("/surveys/<survey_id>/questions/<int:index>/delete")
def delete_question(survey_id: str, index: int) -> ResponseReturnValue:
    draft = draft_or_404(survey_id)
    questions = draft.get("questions", [])
    if not 0 <= index < len(questions):
        abort(404)
    asked = confirm_first(
        gettext("Delete the question %(name)s?", name=questions[index].get("name")),
        gettext("It leaves the draft; the published version keeps it until you publish again."),
        gettext("Yes, delete it"),
        url_for(".edit_survey", survey_id=survey_id),
    )
    if asked is not None:
        return asked
    removed = questions.pop(index)
    return save_and_return(survey_id, draft, "deleted a question", str(removed.get("name")))


def rules_read(form: RuleFields) -> bool:
    """Whether the rules the form holds parse; if not, the field says why in the organizer's
    language, quoting the faulty words (refused at save, not at publish). Filled builder rows
    replace the text written under "Advanced": then it is the rows' rule that must read."""
    read: list[tuple[Any, str, bool]] = []  # (field showing the problem, rule, a check?)
    if isinstance(form, QuestionForm):
        built = built_check(form)
        read.append(
            (form.check_value_1, built, True)
            if built
            else (form.constraint, form.constraint.data or "", True)
        )
    if not any(getattr(form, f"rule_question_{n}").data for n in range(1, ROWS + 1)):
        read.append((form.relevant, form.relevant.data or "", False))
    ok = True
    for field, text, check in read:
        problem = rule_problem(text, check=check)
        if problem is not None:
            field.errors = [*field.errors, translate(problem)]
            ok = False
    return ok


def question_choices(questions: list[dict[str, Any]], language: str) -> list[SelectChoice]:
    """A select of questions by name and label, "—" (none) first: what the rule and check
    builders' rows, and a group's "repeat as many times as", offer."""
    return [
        SelectChoice("", "—"),
        *(
            SelectChoice(str(q["name"]), f"{q['name']}: {text_of(q.get('label'), language)}")
            for q in questions
        ),
    ]


def offer_checks(form: QuestionForm, questions: list[dict[str, Any]], language: str) -> None:
    """The check builder's rows: every comparison (none chosen: no check), and the questions
    whose answer it may be compared with."""
    offered = question_choices(questions, language)
    for number in range(1, CHECK_ROWS + 1):
        getattr(form, f"check_operator_{number}").choices = [
            SelectChoice("", "—"),
            *(SelectChoice(key, label) for key, label in CHECK_WORDS),
        ]
        getattr(form, f"check_question_{number}").choices = offered


def offer_rule_questions(form: RuleFields, questions: list[dict[str, Any]], language: str) -> None:
    """The builder's rows offer these questions, by name and label, and every condition."""
    offered = question_choices(questions, language)
    for number in range(1, ROWS + 1):
        getattr(form, f"rule_question_{number}").choices = offered
        getattr(form, f"rule_operator_{number}").choices = [
            SelectChoice(key, label) for key, label in RULE_OPERATORS
        ]
