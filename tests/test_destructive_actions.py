"""Nothing destructive happens without a preview and a confirmation (issue 29).

Retention once deleted every submission from a form that looked like "save settings". Now the
periods are saved at once only when they delete nothing today; otherwise the organizer sees
exactly what would go (per survey, the oldest day, how many the reviewers never got) and
nothing is saved or deleted until she confirms the count she was shown.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from portal import create_app
from portal.config import Config
from portal.storage import Store
from portal.storage.retention import Retention, retention, set_retention

from .conftest import RunCli, csrf_token, submit_needs
from .helpers import submit_testimony


def three_submissions() -> None:
    """Two needs assessments and a testimony, from three respondents."""
    for visits in ("2", "12"):
        client = create_app(Config.from_env()).test_client()
        submit_needs(client, services_wanted=["condoms"], visits_per_month=visits)
    submit_testimony(create_app(Config.from_env()).test_client(), "kept until confirmed")


def post_retention(client: FlaskClient, **fields: str) -> str:
    token = csrf_token(client.get("/submissions").get_data(as_text=True))
    response = client.post("/submissions/retention", data={"csrf_token": token, **fields})
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def test_retention_that_would_delete_shows_what_and_deletes_nothing_until_confirmed(
    logged_in: FlaskClient, published: RunCli
) -> None:
    three_submissions()
    store = Store(Config.from_env())
    page = post_retention(logged_in, exported_days="", all_days="0")
    assert "Delete 3 submissions now?" in page
    assert "<li>What do you need from the centre? — 2 submissions</li>" in page
    assert "<li>Tell us what happened — 1 submission</li>" in page
    assert "The oldest arrived on" in page
    assert "3 of them were never exported: the reviewers do not have them." in page
    assert "Nothing is saved or deleted until you confirm." in page
    # Previewing changed nothing: neither the rule nor the submissions.
    assert store.count_submissions() == 3 and retention(store) == Retention()

    carried = hidden_fields(page)
    assert carried["all_days"] == "0" and carried["previewed"] == "3"
    assert carried["confirmed"] == "yes"
    # A confirmation for fewer than are due now (one more arrived meanwhile) asks again.
    submit_testimony(create_app(Config.from_env()).test_client(), "arrived meanwhile")
    again = post_retention(logged_in, **carried)
    assert "Delete 4 submissions now?" in again and store.count_submissions() == 4
    # Confirming what was shown deletes it and saves the rule.
    done = post_retention(logged_in, **hidden_fields(again))
    assert "Saved. 4 submissions were deleted." in done
    assert store.count_submissions() == 0 and retention(store) == Retention(all_days=0)


def test_a_confirmed_flag_without_the_count_it_confirmed_is_only_a_preview(
    logged_in: FlaskClient, published: RunCli
) -> None:
    three_submissions()
    page = post_retention(logged_in, all_days="0", confirmed="yes")
    assert "Delete 3 submissions now?" in page
    assert Store(Config.from_env()).count_submissions() == 3


def test_periods_that_delete_nothing_today_are_saved_at_once(
    logged_in: FlaskClient, published: RunCli
) -> None:
    three_submissions()
    page = post_retention(logged_in, exported_days="30", all_days="365")
    assert "Saved. No submission is due for deletion now." in page
    store = Store(Config.from_env())
    assert retention(store) == Retention(30, 365) and store.count_submissions() == 3


def test_the_daily_command_says_what_it_would_delete_before_it_does(
    published: RunCli,
) -> None:
    three_submissions()
    store = Store(Config.from_env())
    with store.transaction():
        set_retention(store, Retention(all_days=0))
    preview = published("retention", "apply", "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert preview.output.splitlines() == [
        "3 submissions would be deleted now.",
        "  What do you need from the centre?: 2",
        "  Tell us what happened: 1",
    ]
    assert store.count_submissions() == 3
    assert published("retention", "apply").exit_code == 0
    assert store.count_submissions() == 0


def test_closing_a_survey_and_removing_a_key_ask_first(
    logged_in: FlaskClient, published: RunCli
) -> None:
    respondent = create_app(Config.from_env()).test_client()
    token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
    asked = logged_in.post("/surveys/testimony/close", data={"csrf_token": token})
    assert "Close the survey Tell us what happened?" in asked.get_data(as_text=True)
    assert respondent.get("/s/testimony").status_code == 200  # still open
    confirmed = {"csrf_token": token, "confirmed": "yes"}
    assert logged_in.post("/surveys/testimony/close", data=confirmed).status_code == 302
    assert respondent.get("/s/testimony").status_code == 404

    page = logged_in.get("/reviewers").get_data(as_text=True)
    key = re.findall(r"/reviewers/(\d+)/remove", page)[0]
    asked = logged_in.post(f"/reviewers/{key}/remove", data={"csrf_token": token})
    assert "Remove the key of" in asked.get_data(as_text=True)
    assert f"/reviewers/{key}/remove" in logged_in.get("/reviewers").get_data(as_text=True)
    logged_in.post(f"/reviewers/{key}/remove", data=confirmed)
    assert f"/reviewers/{key}/remove" not in logged_in.get("/reviewers").get_data(as_text=True)
