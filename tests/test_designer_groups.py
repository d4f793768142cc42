"""Groups are first-class in the designer (issue 29): added and edited on their own page with
the questions' rule builder, renamed with their questions following, unique by name, a rule
that does not parse refused at save, and deleted only after asking what becomes of their
questions."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from portal.config import Config
from portal.storage import Store, designer

from .conftest import RunCli, csrf_token


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    token = csrf_token(client.get("/surveys").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def draft() -> dict[str, Any]:
    found = designer.load_draft(Store(Config.from_env()), "checkin")
    assert found is not None
    return found


def a_survey_with_a_group(client: FlaskClient) -> None:
    new = {"id": "checkin", "title": "Check-in", "kind": "survey", "language": "en"}
    assert post(client, "/surveys", new).status_code == 302
    happened = {
        "type": "select_one",
        "name": "happened",
        "label": "Did something happen?",
        "choices": "Yes\nNo",
    }
    assert post(client, "/surveys/checkin/questions/new", happened).status_code == 302
    group = {"name": "incident", "label": "The incident"}
    assert post(client, "/surveys/checkin/groups/new", group).status_code == 302
    for name in ("where", "who"):
        question = {"type": "text", "name": name, "label": name.title(), "group": "incident"}
        assert post(client, "/surveys/checkin/questions/new", question).status_code == 302


def test_two_groups_cannot_share_a_name_nor_take_a_questions(
    logged_in: FlaskClient, published: RunCli
) -> None:
    a_survey_with_a_group(logged_in)
    twice = post(logged_in, "/surveys/checkin/groups/new", {"name": "incident"})
    assert twice.status_code == 422
    assert "Another group is already called incident." in twice.get_data(as_text=True)
    clash = post(logged_in, "/surveys/checkin/groups/new", {"name": "where"})
    assert "A question is already called where." in clash.get_data(as_text=True)
    assert post(logged_in, "/surveys/checkin/groups/new", {"name": "other"}).status_code == 302
    renamed = post(logged_in, "/surveys/checkin/groups/other", {"name": "incident"})
    assert renamed.status_code == 422
    assert [g["name"] for g in draft()["groups"]] == ["incident", "other"]


def test_a_group_rule_that_does_not_parse_is_refused_at_save_naming_the_words(
    logged_in: FlaskClient, published: RunCli
) -> None:
    a_survey_with_a_group(logged_in)
    fields = {"name": "incident", "relevant": "something happened is Yes"}
    refused = post(logged_in, "/surveys/checkin/groups/incident", fields)
    assert refused.status_code == 422
    assert "unknown word &#39;something&#39;" in refused.get_data(as_text=True)
    assert "relevant" not in draft()["groups"][0]
    # In Macedonian the same refusal speaks Macedonian, the faulty words quoted as typed.
    logged_in.get("/surveys?lang=mk")
    in_mk = post(logged_in, "/surveys/checkin/groups/incident", fields).get_data(as_text=True)
    assert "&#39;something&#39;" in in_mk and "unknown word" not in in_mk


def test_editing_a_group_with_the_builder_keeps_its_questions_under_its_new_name(
    logged_in: FlaskClient, published: RunCli
) -> None:
    a_survey_with_a_group(logged_in)
    page = logged_in.get("/surveys/checkin/groups/incident").get_data(as_text=True)
    assert 'value="The incident"' in page
    assert 'value="where" checked' in page and 'value="who" checked' in page
    fields = {
        "name": "what_happened",
        "label": "What happened",
        "rule_question_1": "happened",
        "rule_operator_1": "is",
        "rule_value_1": "Yes",  # the label, as the organizer reads it: written as its name
    }
    assert post(logged_in, "/surveys/checkin/groups/incident", fields).status_code == 302
    (group,) = draft()["groups"]
    assert group["name"] == "what_happened" and group["relevant"] == "${happened} = 'yes'"
    assert [q.get("group") for q in draft()["questions"]] == [None, *["what_happened"] * 2]
    # It opens again in the builder's rows, not as an expression to edit.
    again = logged_in.get("/surveys/checkin/groups/what_happened").get_data(as_text=True)
    assert '<option selected value="happened">' in again


def test_deleting_a_group_asks_then_keeps_or_deletes_its_questions_as_chosen(
    logged_in: FlaskClient, published: RunCli
) -> None:
    a_survey_with_a_group(logged_in)
    asked = post(logged_in, "/surveys/checkin/groups/incident/delete", {})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "It holds 2 questions." in page
    assert 'value="keep" checked' in page and draft()["groups"][0]["name"] == "incident"
    kept = {"confirmed": "yes", "questions": "keep"}
    assert post(logged_in, "/surveys/checkin/groups/incident/delete", kept).status_code == 302
    assert "groups" not in draft()
    assert [q["name"] for q in draft()["questions"]] == ["happened", "where", "who"]
    assert not any(q.get("group") for q in draft()["questions"])

    assert post(logged_in, "/surveys/checkin/groups/new", {"name": "g"}).status_code == 302
    moved = {"type": "text", "name": "where", "label": "Where", "group": "g"}
    assert post(logged_in, "/surveys/checkin/questions/1", moved).status_code == 302
    gone = {"confirmed": "yes", "questions": "delete"}
    assert post(logged_in, "/surveys/checkin/groups/g/delete", gone).status_code == 302
    assert [q["name"] for q in draft()["questions"]] == ["happened", "who"]


def test_questions_move_in_and_out_of_a_group_on_its_page(
    logged_in: FlaskClient, published: RunCli
) -> None:
    a_survey_with_a_group(logged_in)
    page = logged_in.get("/surveys/checkin/groups/incident").get_data(as_text=True)
    assert 'name="members" value="where" checked' in page
    assert 'name="members" value="happened">' in page  # not in it: offered, unticked
    # "where" stays, "who" leaves, "happened" comes in: as the boxes say after saving.
    fields = {"name": "incident", "members_shown": "1", "members": ["where", "happened"]}
    assert post(logged_in, "/surveys/checkin/groups/incident", fields).status_code == 302
    groups = {q["name"]: q.get("group") for q in draft()["questions"]}
    assert groups == {"happened": "incident", "where": "incident", "who": None}


def test_crafted_member_names_move_nothing_but_the_questions_named(
    logged_in: FlaskClient, published: RunCli
) -> None:
    a_survey_with_a_group(logged_in)
    crafted = ["nope", "../where", "", "where" * 100, "happened"]
    fields = {"name": "incident", "members_shown": "1", "members": crafted}
    assert post(logged_in, "/surveys/checkin/groups/incident", fields).status_code == 302
    groups = {q["name"]: q.get("group") for q in draft()["questions"]}
    assert groups == {"happened": "incident", "where": None, "who": None}
