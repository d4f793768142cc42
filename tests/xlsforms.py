"""Three needs-assessment forms written the way ODK and KoboToolbox users write them, and one
that uses what Glas does not support. Kept as rows (readable in review), written to .xlsx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

Sheet = list[list[Any]]

# Kobo style: translated columns, TRUE()/FALSE(), likert, field-list groups, style=pages.
HEALTH: dict[str, Sheet] = {
    "survey": [
        [
            "type",
            "name",
            "label::English (en)",
            "label::Macedonian (mk)",
            "label::Albanian (sq)",
            "hint::English (en)",
            "required",
            "relevant",
            "constraint",
            "constraint_message::English (en)",
            "appearance",
        ],
        [
            "note",
            "intro",
            "This survey is anonymous.",
            "Оваа анкета е анонимна.",
            "Ky sondazh është anonim.",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "integer",
            "age",
            "How old are you?",
            "Колку години имате?",
            "Sa vjeç jeni?",
            "In years",
            "TRUE()",
            "",
            ". >= 16 and . <= 99",
            "Please give an age from 16 to 99",
            "",
        ],
        [
            "begin_group",
            "health",
            "Health",
            "Здравје",
            "Shëndeti",
            "",
            "",
            "",
            "",
            "",
            "field-list",
        ],
        [
            "select_one yes_no_dk",
            "tested",
            "Have you had an HIV test this year?",
            "Дали сте се тестирале за ХИВ оваа година?",
            "A jeni testuar për HIV këtë vit?",
            "",
            "TRUE()",
            "",
            "",
            "",
            "",
        ],
        [
            "select_multiple services",
            "services",
            "Which services did you use?",
            "Кои услуги ги користевте?",
            "Cilat shërbime përdorët?",
            "",
            "FALSE()",
            "${tested} = 'yes'",
            "",
            "",
            "",
        ],
        [
            "select_one agree",
            "respect",
            "Staff treated me with respect.",
            "Персоналот се однесуваше со почит.",
            "Stafi më trajtoi me respekt.",
            "",
            "",
            "",
            "",
            "",
            "likert",
        ],
        ["end_group", "", "", "", "", "", "", "", "", "", ""],
        [
            "text",
            "needs",
            "What do you need most?",
            "Што ви треба најмногу?",
            "Çfarë ju nevojitet më shumë?",
            "",
            "",
            "",
            "",
            "",
            "multiline",
        ],
    ],
    "choices": [
        [
            "list_name",
            "name",
            "label::English (en)",
            "label::Macedonian (mk)",
            "label::Albanian (sq)",
        ],
        ["yes_no_dk", "yes", "Yes", "Да", "Po"],
        ["yes_no_dk", "no", "No", "Не", "Jo"],
        ["yes_no_dk", "dk", "I don't know", "Не знам", "Nuk e di"],
        ["services", "testing", "HIV/STI testing", "Тестирање за ХИВ/СПИ", "Testim për HIV/IST"],
        ["services", "outreach", "Outreach workers", "Теренски работници", "Punonjës në terren"],
        ["services", "legal", "Legal help", "Правна помош", "Ndihmë ligjore"],
        ["agree", "1", "Strongly disagree", "Воопшто не се согласувам", "Aspak dakord"],
        ["agree", "2", "Disagree", "Не се согласувам", "Nuk jam dakord"],
        ["agree", "3", "Agree", "Се согласувам", "Dakord"],
        ["agree", "4", "Strongly agree", "Целосно се согласувам", "Plotësisht dakord"],
    ],
    "settings": [
        ["form_title", "form_id", "default_language", "style", "version"],
        ["Health and services needs", "health_needs", "English (en)", "pages", "2024-03"],
    ],
}

# ODK style: plain label column, "begin group" with relevance, yes/no required, an image.
VIOLENCE: dict[str, Sheet] = {
    "survey": [
        [
            "type",
            "name",
            "label",
            "hint",
            "required",
            "required_message",
            "relevant",
            "constraint",
            "constraint_message",
        ],
        [
            "select_one yes_no",
            "experienced",
            "In the last 12 months, did anyone hurt or threaten you because of your work?",
            "",
            "yes",
            "Please choose yes or no",
            "",
            "",
            "",
        ],
        [
            "begin group",
            "incident",
            "About what happened",
            "",
            "",
            "",
            "${experienced} = 'yes'",
            "",
            "",
        ],
        [
            "select_multiple who",
            "who",
            "Who was it?",
            "Choose all that apply",
            "yes",
            "",
            "",
            "",
            "",
        ],
        ["text", "who_other", "Who else?", "", "yes", "", "selected(${who}, 'other')", "", ""],
        [
            "integer",
            "times",
            "How many times?",
            "",
            "",
            "",
            "",
            ". > 0 and . < 1000",
            "A number from 1 to 999",
        ],
        [
            "select_one yes_no",
            "reported",
            "Did you report it to anyone?",
            "",
            "",
            "",
            "count-selected(${who}) > 0",
            "",
            "",
        ],
        [
            "note",
            "reply_note",
            "A reviewer may answer you with legal advice.",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        ["end group", "", "", "", "", "", "", "", ""],
        [
            "image",
            "photo",
            "A photo of an injury or a message (optional)",
            "Faces are not needed",
            "",
            "",
            "${experienced} = 'yes'",
            "",
            "",
        ],
    ],
    "choices": [
        ["list_name", "name", "label"],
        ["yes_no", "yes", "Yes"],
        ["yes_no", "no", "No"],
        ["who", "client", "A client"],
        ["who", "police", "Police"],
        ["who", "partner", "A partner"],
        ["who", "other", "Someone else"],
    ],
    "settings": [
        ["form_title", "form_id", "kind"],
        ["Violence and police encounters", "violence", "testimony"],
    ],
}

# A drop-in centre's own follow-up: range, dates, decimals, Glas's extra columns.
CENTRE: dict[str, Sheet] = {
    "survey": [
        [
            "type",
            "name",
            "label",
            "hint",
            "required",
            "relevant",
            "constraint",
            "parameters",
            "max_length",
            "appearance",
        ],
        [
            "date",
            "last_visit",
            "When did you last visit the centre?",
            "",
            "yes",
            "",
            ". >= '2020-01-01'",
            "",
            "",
            "",
        ],
        [
            "range",
            "satisfaction",
            "How satisfied were you?",
            "1 = not at all, 5 = very",
            "yes",
            "",
            "",
            "start=1 end=5 step=1",
            "",
            "",
        ],
        [
            "text",
            "improve",
            "What should we do better?",
            "",
            "",
            "${satisfaction} <= 3",
            "",
            "",
            "800",
            "multiline",
        ],
        [
            "decimal",
            "spent",
            "How much did you spend on transport (EUR)?",
            "",
            "",
            "",
            ". >= 0",
            "",
            "",
            "",
        ],
        ["select_one often", "come_back", "How often would you come?", "", "", "", "", "", "", ""],
    ],
    "choices": [
        ["list_name", "name", "label"],
        ["often", "weekly", "Every week"],
        ["often", "monthly", "Every month"],
        ["often", "rarely", "Rarely"],
    ],
    "settings": [["form_title", "form_id"], ["Centre follow-up", "centre_followup"]],
}

# What Glas refuses or does not support: each problem must come back with row and column.
UNSUPPORTED: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label", "choice_filter", "calculation"],
        ["start", "start", "", "", ""],
        ["geopoint", "where", "Where are you?", "", ""],
        ["text", "name_first", "Your name", "", ""],
        ["calculate", "score", "", "", "1 + 1"],
        ["select_one places", "place", "Place", "district = 'x'", ""],
        ["select_one_from_file streets.csv", "street", "Street", "", ""],
    ],
    "choices": [["list_name", "name", "label"], ["places", "a", "A"]],
}

# A new Kobo form as the form builder saves it: start/end/today and device metadata rows it adds
# on its own, a GPS question, server settings, bind:: and media columns, presentation
# appearances, or_other, a voice answer and a barcode; languages named, not coded.
KOBO_NEW: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label::English (en)", "label::Macedonian (mk)", "hint::English (en)",
         "required", "relevant", "appearance", "bind::oc:itemgroup", "media::image::English (en)",
         "$given_name"],
        ["start", "start", "", "", "", "", "", "", "", "", ""],
        ["end", "end", "", "", "", "", "", "", "", "", ""],
        ["today", "today", "", "", "", "", "", "", "", "", ""],
        ["deviceid", "deviceid", "", "", "", "", "", "", "", "", ""],
        ["phonenumber", "phonenumber", "", "", "", "", "", "", "", "", ""],
        ["username", "username", "", "", "", "", "", "", "", "", ""],
        ["select_one yes_no", "consent", "Do you agree to answer?", "Дали се согласувате?", "",
         "true", "", "minimal", "g1", "", ""],
        ["select_multiple services", "services", "Which services do you use?",
         "Кои услуги ги користите?", "Choose all that apply", "false", "${consent} = 'yes'",
         "horizontal", "g1", "clinic.png", ""],
        ["select_one place or_other", "place", "Where do you work?", "Каде работите?", "",
         "false", "${consent} = 'yes'", "", "", "", ""],
        ["integer", "visits", "Visits last month", "Посети минатиот месец", "", "false", "", "",
         "", "", "visit_count"],
        ["text", "story", "Anything else?", "Нешто друго?", "", "false", "", "multiline", "", "",
         ""],
        ["audio", "voice", "Tell us with your voice", "Кажете ни со глас", "", "false", "", "",
         "", "", ""],
        ["barcode", "card", "Scan your clinic card", "Скенирајте ја картичката", "", "false", "",
         "", "", "", ""],
        ["geopoint", "location", "Where are you?", "Каде сте?", "", "false", "", "", "", "", ""],
    ],
    "choices": [
        ["list_name", "name", "label::English (en)", "label::Macedonian (mk)", "image", "order"],
        ["yes_no", "yes", "Yes", "Да", "", "1"],
        ["yes_no", "no", "No", "Не", "", "2"],
        ["services", "testing", "HIV testing", "Тестирање за ХИВ", "test.png", "1"],
        ["services", "legal", "Legal advice", "Правен совет", "", "2"],
        ["place", "street", "Street", "Улица", "", "1"],
        ["place", "flat", "Flat", "Стан", "", "2"],
    ],
    "settings": [
        ["form_title", "form_id", "version", "default_language", "public_key", "submission_url",
         "instance_name", "allow_choice_duplicates"],
        ["Outreach needs", "outreach", "2026110101", "English (en)", "MIIBIjANBgkq",
         "https://kc.example.org/submission", "concat(${visits}, '-', uuid())", "yes"],
    ],
}  # fmt: skip

# An older ODK form: single-colon translated columns, languages by name only, no default.
ODK_OLD: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label:English", "label:Shqip", "hint:English"],
        ["text", "nickname", "What should we call you?", "Si t'ju thërrasim?", "Any name"],
        ["select_one ok", "safe", "Do you feel safe?", "A ndiheni të sigurt?", ""],
    ],
    "choices": [
        ["list_name", "name", "label:English", "label:Shqip"],
        ["ok", "y", "Mostly", "Kryesisht"],
        ["ok", "n", "Not really", "Jo shumë"],
    ],
}  # fmt: skip

FORMS = {"health_needs": HEALTH, "violence": VIOLENCE, "centre_followup": CENTRE}


def write(sheets: dict[str, Sheet], path: Path) -> Path:
    book = Workbook()
    first = True
    for name, rows in sheets.items():
        sheet = book.active if first else book.create_sheet(name)
        assert sheet is not None
        sheet.title = name
        first = False
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_xls(sheets: dict[str, Sheet], path: Path) -> Path:
    """The same sheets as a legacy .xls workbook (BIFF8, as Excel 97-2003 saved them)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value not in (None, ""):
                    sheet.write(r, c, value)
    book.save(str(path))
    return path
