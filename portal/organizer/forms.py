"""The organizers' forms (Flask-WTF). CSRF is checked for every POST before any view runs
(``auth.require_login``), so these forms leave that to it and only validate fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from glas.languages import LANGUAGES
from surveys.loader import LANGUAGE_CODE, SURVEY_ID
from surveys.model import QUESTION_TYPES


class Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type hints
    class Meta:
        csrf = False  # checked once for every POST in auth.require_login


class LoginForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Passphrase"), validators=[DataRequired(), Length(max=1024)])
    code = StringField(_l("Code from your phone"), validators=[DataRequired(), Length(max=12)])


class SetupForm(Form):
    password = PasswordField(_l("New passphrase"), validators=[DataRequired(), Length(max=1024)])
    again = PasswordField(_l("The same passphrase again"), validators=[DataRequired()])
    code = StringField(_l("Code from your phone"), validators=[DataRequired(), Length(max=12)])


class NewSurveyForm(Form):
    id = StringField(
        _l("Short name (in the address)"),
        validators=[
            DataRequired(),
            Regexp(SURVEY_ID.pattern, message=_l("Use a-z, 0-9, - and _.")),
        ],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("survey", _l("Survey: questions with answers to count")),
            SelectChoice(
                "testimony",
                _l("Testimony: someone tells what happened, and may get a codename for replies"),
            ),
        ],
    )
    language = SelectField(
        _l("The language you write it in"),
        default="en",
        choices=[SelectChoice(code, lang.name) for code, lang in LANGUAGES.items()],
        validators=[Regexp(LANGUAGE_CODE.pattern)],
        validate_choice=False,
    )


class SettingsForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    pages = BooleanField(_l("One page at a time (skip logic applies as people move on)"))
    replies = BooleanField(_l("Give respondents a codename for replies"))


#: The question types as people call them, most used first, each with what it is for and an
#: example. (calculate comes from XLSForms; the designer has no field for a calculation yet.)
QUESTION_KINDS = [
    ("text", _l("Short text"), _l("One line, such as a neighbourhood or a nickname.")),
    ("textarea", _l("Long text"), _l("Several lines, for a story: What happened?")),
    ("select_one", _l("One choice"), _l("One answer from a list: Which service matters most?")),
    (
        "select_multiple",
        _l("Several choices"),
        _l("All answers that apply: Which services would you use?"),
    ),
    ("yes_no", _l("Yes or no"), _l("Did you see a doctor this year?")),
    ("integer", _l("Whole number"), _l("How many times a month? 3")),
    ("decimal", _l("Number with decimals"), _l("How much did the bus cost? 2.5")),
    ("scale", _l("Scale"), _l("From 1 (not at all) to 5 (completely): How safe do you feel?")),
    ("month", _l("Month"), _l("A month and a year, never a day: When did you start? 2024-03")),
    ("date", _l("Date"), _l("A day: When did it happen? 2024-05-31")),
    ("time", _l("Time"), _l("A time of day: At what time? 14:30")),
    ("datetime", _l("Date and time"), _l("A day and a time: 2024-05-31 14:30")),
    (
        "file",
        _l("Photo, document or recording"),
        _l(
            "A picture, a document or a voice recording; the reviewers get it without its metadata."
        ),
    ),
    ("note", _l("Text to read"), _l("A heading or an explanation; nothing to answer.")),
]
assert {kind for kind, _name, _what in QUESTION_KINDS} == QUESTION_TYPES - {"calculate"}


#: The rule builder's conditions, as people say them.
RULE_OPERATORS = [
    ("is", _l("is")),
    ("is_not", _l("is not")),
    ("includes", _l("includes (several choices)")),
    ("more", _l("is more than")),
    ("less", _l("is less than")),
]


class RuleFields(Form):
    """Skip logic as questions and groups both ask it: the builder's rows, or the rule as
    text for experts (the rows win when filled)."""

    relevant = StringField(_l("Ask only if (skip logic)"), validators=[Length(max=1000)])
    # The rule builder: rows of [question] [operator] [answer], joined by and / or.
    rule_join = SelectField(
        _l("Join the conditions with"),
        default="and",
        validate_choice=False,
        choices=[
            SelectChoice("and", _l("and (all must hold)")),
            SelectChoice("or", _l("or (any one is enough)")),
        ],
    )
    rule_question_1 = SelectField(_l("Question"), choices=[], validate_choice=False)
    rule_operator_1 = SelectField(_l("Condition"), choices=[], validate_choice=False)
    rule_value_1 = StringField(_l("Answer"), validators=[Length(max=200)])
    rule_question_2 = SelectField(_l("Question"), choices=[], validate_choice=False)
    rule_operator_2 = SelectField(_l("Condition"), choices=[], validate_choice=False)
    rule_value_2 = StringField(_l("Answer"), validators=[Length(max=200)])
    rule_question_3 = SelectField(_l("Question"), choices=[], validate_choice=False)
    rule_operator_3 = SelectField(_l("Condition"), choices=[], validate_choice=False)
    rule_value_3 = StringField(_l("Answer"), validators=[Length(max=200)])


#: The check builder's comparisons, as people say them ("The answer must be …").
CHECK_WORDS = [
    ("at_least", _l("at least")),
    ("at_most", _l("at most")),
    ("more", _l("more than")),
    ("less", _l("less than")),
    ("is_not", _l("other than")),
]


class QuestionForm(RuleFields):
    type = SelectField(
        _l("Type"), choices=[SelectChoice(kind, name) for kind, name, _what in QUESTION_KINDS]
    )
    name = StringField(_l("Name (column in the results)"), validators=[Length(max=64)])
    label = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=2000)])
    hint = TextAreaField(_l("Help text"), validators=[Length(max=2000)])
    required = BooleanField(_l("Required"))
    choices = TextAreaField(_l("Choices"), validators=[Length(max=20000)])
    minimum = StringField(_l("Minimum (numbers, dates, scale start)"), validators=[Length(max=40)])
    maximum = StringField(_l("Maximum (numbers, dates, scale end)"), validators=[Length(max=40)])
    low_label = StringField(_l("Scale: label of the lowest point"), validators=[Length(max=200)])
    high_label = StringField(_l("Scale: label of the highest point"), validators=[Length(max=200)])
    min_length = IntegerField(
        _l("Shortest answer (characters)"), validators=[Optional(), NumberRange(0, 100000)]
    )
    max_length = IntegerField(_l("Longest answer (characters)"), validators=[Optional()])
    max_files = IntegerField(_l("Most files"), validators=[Optional(), NumberRange(0, 100)])
    accept = StringField(_l("File kinds"), validators=[Length(max=500)])
    constraint = StringField(_l("Answer must satisfy"), validators=[Length(max=1000)])
    required_message = StringField(
        _l("Message when it is not answered"), validators=[Length(max=500)]
    )
    constraint_message = StringField(_l("Message when it does not"), validators=[Length(max=500)])
    group = SelectField(_l("Group"), choices=[], validate_choice=False)
    # The check builder: "The answer must be [at least] [18] or [the answer to …]".
    check_operator_1 = SelectField(_l("The answer must be"), choices=[], validate_choice=False)
    check_value_1 = StringField(_l("this value"), validators=[Length(max=200)])
    check_question_1 = SelectField(_l("or the answer to"), choices=[], validate_choice=False)
    check_operator_2 = SelectField(_l("The answer must be"), choices=[], validate_choice=False)
    check_value_2 = StringField(_l("this value"), validators=[Length(max=200)])
    check_question_2 = SelectField(_l("or the answer to"), choices=[], validate_choice=False)


class GroupForm(RuleFields):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    label = StringField(_l("Heading"), validators=[Length(max=300)])
    field_list = BooleanField(_l("All on one page"))
    repeat = BooleanField(_l("Repeat: asked once per item, as many as the respondent adds"))
    repeat_from = SelectField(
        _l("Or as many times as the answer to"), choices=[], validate_choice=False
    )
    repeat_count = StringField(
        _l("Or a fixed number of times, or a rule that gives it"), validators=[Length(max=1000)]
    )


class UploadForm(Form):
    file = FileField(_l("File"), validators=[FileRequired()])


class FormUploadForm(UploadForm):
    """An XLSForm and the files it reads (Kobo's media)."""

    attachments = MultipleFileField(_l("Files the form reads"))


class ReviewerForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    key = StringField(_l("Public key (glas-pk-1:…)"), validators=[DataRequired(), Length(max=200)])


class StaffForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class SignerForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    key = StringField(
        _l("Signing key (glas-signer-1:…)"), validators=[DataRequired(), Length(max=200)]
    )


class RetentionForm(Form):
    exported_days = IntegerField(
        _l("Delete exported submissions after (days)"),
        validators=[Optional(), NumberRange(0, 36500)],
    )
    all_days = IntegerField(
        _l("Delete every submission after (days)"), validators=[Optional(), NumberRange(0, 36500)]
    )
