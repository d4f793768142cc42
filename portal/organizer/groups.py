"""Groups in the designer: added, edited and renamed (their questions follow), with the same
rule builder as questions, and deleted only after saying what happens to their questions."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from . import bp
from .auth import confirmation_page
from .drafts import fill_group_form, group_from_form, remove_group, rename_group, text_of
from .forms import GroupForm
from .questions import offer_rule_questions, question_choices, rules_read
from .surveys import draft_or_404, save_and_return


@bp.route("/surveys/<survey_id>/groups", methods=["POST"])
@bp.route("/surveys/<survey_id>/groups/new", methods=["GET", "POST"])
@bp.route("/surveys/<survey_id>/groups/<name>", methods=["GET", "POST"])
def edit_group(survey_id: str, name: str | None = None) -> ResponseReturnValue:
    """Add a group, or edit one; a new name must be free among groups and questions."""
    draft = draft_or_404(survey_id)
    groups: list[dict[str, Any]] = draft.setdefault("groups", [])
    old = next((g for g in groups if g.get("name") == name), None)
    if name is not None and old is None:
        abort(404)
    language = draft.get("language", "en")
    questions = [q for q in draft.get("questions", []) if q.get("type") != "note"]
    form = GroupForm()
    offer_rule_questions(form, questions, language)
    numbers = [q for q in questions if q.get("type") == "integer"]
    form.repeat_from.choices = question_choices(numbers, language)
    if request.method == "POST":
        # Each check runs, so every problem is shown at once.
        checks = [form.validate(), _name_free(form, draft, name), rules_read(form)]
        if all(checks):
            group = group_from_form(form, old, language, questions)
            if old is None:
                groups.append(group)
            else:
                groups[groups.index(old)] = group
                rename_group(draft, str(name), group["name"])
            if request.form.get("members_shown"):
                _set_members(draft, group["name"], request.form.getlist("members"))
            action = "added a group" if old is None else "edited a group"
            return save_and_return(survey_id, draft, action, group["name"])
    if request.method == "GET" and old is not None:
        fill_group_form(form, old, language)
    chosen = (
        set(request.form.getlist("members"))
        if request.method == "POST"
        else {
            str(q.get("name"))
            for q in draft.get("questions", [])
            if name and q.get("group") == name
        }
    )
    everyone = [
        (str(q.get("name")), text_of(q.get("label"), language), str(q.get("group") or ""))
        for q in draft.get("questions", [])
    ]
    page = render_template(
        "organizer/group.html",
        form=form,
        survey_id=survey_id,
        name=name,
        questions=everyone,
        chosen=chosen,
    )
    if not groups:
        draft.pop("groups")
    return page, 422 if request.method == "POST" else 200


def _set_members(draft: dict[str, Any], group: str, chosen: list[str]) -> None:
    """Put the ticked questions in ``group`` (out of any other) and the unticked ones that were
    in it out of every group: moving questions in and out happens on the group's page too."""
    wanted = set(chosen)
    for question in draft.get("questions", []):
        if question.get("name") in wanted:
            question["group"] = group
        elif question.get("group") == group:
            question.pop("group", None)


def _name_free(form: GroupForm, draft: dict[str, Any], current: str | None) -> bool:
    wanted = (form.name.data or "").strip()
    taken = {str(g.get("name")) for g in draft.get("groups", []) if g.get("name") != current}
    if wanted in taken:
        form.name.errors = [gettext("Another group is already called %(name)s.", name=wanted)]
        return False
    if wanted in {str(q.get("name")) for q in draft.get("questions", [])}:
        form.name.errors = [gettext("A question is already called %(name)s.", name=wanted)]
        return False
    return True


@bp.post("/surveys/<survey_id>/groups/<name>/delete")
def delete_group(survey_id: str, name: str) -> ResponseReturnValue:
    """Asks first, saying how many questions the group holds and offering to keep them
    (outside any group) or delete them with it."""
    draft = draft_or_404(survey_id)
    if not any(g.get("name") == name for g in draft.get("groups", [])):
        abort(404)
    members = [q for q in draft.get("questions", []) if q.get("group") == name]
    choice = request.form.get("questions")
    if request.form.get("confirmed") != "yes" or choice not in ("keep", "delete"):
        back = url_for(".edit_survey", survey_id=survey_id)
        if not members:
            return confirmation_page(
                gettext("Delete the group %(name)s?", name=name),
                gettext("It holds no question. The published version keeps it until you publish."),
                gettext("Yes, delete the group"),
                back,
                carry={"questions": "keep"},
            )
        return render_template(
            "organizer/delete_group.html",
            name=name,
            members=members,
            question=ngettext(
                "Delete the group %(name)s? It holds %(num)d question.",
                "Delete the group %(name)s? It holds %(num)d questions.",
                len(members),
                name=name,
            ),
            back=back,
        )
    gone = remove_group(draft, name, with_questions=choice == "delete")
    detail = f"{name} with {', '.join(gone)}" if gone else name
    return save_and_return(survey_id, draft, "deleted a group", detail)
