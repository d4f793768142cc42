"""Every language of a survey reaches respondents (issue 30).

A survey's own languages outside the portal's six (Arabic, Dari, Romani…) used to be stored and
never shown: ``?lang=ar`` served English. Now the picker offers them, the survey's texts come in
them, the page is ``lang="ar" dir="rtl"``, and the buttons and messages fall back to the
interface language the organizers chose (English unless they chose another).
"""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from portal import create_app
from portal.config import Config
from portal.storage import Store
from portal.storage.languages import set_fallback_language

from .conftest import RunCli, csrf_token, post_multipart
from .xlsforms import write

ENGLISH_ARABIC = {
    "survey": [
        ["type", "name", "label::English (en)", "label::Arabic (ar)", "required"],
        ["select_one place", "place", "Where did it happen?", "أين حدث ذلك؟", "yes"],
        ["text", "what", "What happened?", "ماذا حدث؟", ""],
    ],
    "choices": [
        ["list_name", "name", "label::English (en)", "label::Arabic (ar)"],
        ["place", "street", "In the street", "في الشارع"],
        ["place", "home", "At home", "في المنزل"],
    ],
    "settings": [
        ["form_title", "form_id", "default_language"],
        ["Incidents", "incidents", "English (en)"],
    ],
}


def publish(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("surveys", "import", write(ENGLISH_ARABIC, tmp_path / "ar.xlsx"), "--publish")
    assert result.exit_code == 0, result.output
    assert "Respondents will be able to answer it in: English (en), العربية (ar)" in result.output


def test_arabic_texts_right_to_left_with_the_interface_in_english(
    published: RunCli, tmp_path: Path
) -> None:
    publish(published, tmp_path)
    client = create_app(Config.from_env()).test_client()
    # The picker offers Arabic on every page, by its own name.
    index = client.get("/").get_data(as_text=True)
    assert 'hreflang="ar"' in index and ">العربية<" in index

    page = client.get("/s/incidents?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "أين حدث ذلك؟" in page and "في الشارع" in page
    assert "Where did it happen?" not in page
    assert ">Send<" in page  # the interface falls back to English

    # Remembered: the next page is Arabic too; an answer is stored by choice name.
    token = csrf_token(client.get("/s/incidents").get_data(as_text=True))
    fields = {"csrf_token": token, "place": "home", "what": "نص"}
    response = post_multipart(client, "/s/incidents", fields)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]


def test_the_fallback_interface_language_is_the_organizers_choice(
    published: RunCli, tmp_path: Path
) -> None:
    publish(published, tmp_path)
    store = Store(Config.from_env())
    with store.transaction():
        set_fallback_language(store, "mk")
    client: FlaskClient = create_app(Config.from_env()).test_client()
    page = client.get("/s/incidents?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "أين حدث ذلك؟" in page
    assert re.search(r">Испрати<", page), "the buttons speak Macedonian"


def test_a_language_no_survey_has_is_not_taken(published: RunCli) -> None:
    client = create_app(Config.from_env()).test_client()
    page = client.get("/?lang=xx").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
