"""The organizers' forms (Flask-WTF). CSRF is checked for every POST before any view runs
(``auth.require_login``), so these forms leave that to it and only validate fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from surveys.loader import LANGUAGE_CODE, SURVEY_ID
from surveys.model import QUESTION_TYPES, SURVEY_KINDS


class Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type hints
    class Meta:
        csrf = False  # checked once for every POST in auth.require_login


class LoginForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Passphrase", validators=[DataRequired(), Length(max=1024)])
    code = StringField("Code from your phone", validators=[DataRequired(), Length(max=12)])


class SetupForm(Form):
    password = PasswordField("New passphrase", validators=[DataRequired(), Length(max=1024)])
    again = PasswordField("The same passphrase again", validators=[DataRequired()])
    code = StringField("Code from your phone", validators=[DataRequired(), Length(max=12)])


class NewSurveyForm(Form):
    id = StringField(
        "Short name (in the address)",
        validators=[DataRequired(), Regexp(SURVEY_ID.pattern, message="Use a-z, 0-9, - and _.")],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    kind = SelectField("Kind", choices=list(SURVEY_KINDS))
    language = StringField(
        "Language code", default="en", validators=[Regexp(LANGUAGE_CODE.pattern)]
    )


class SettingsForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    pages = BooleanField("One page at a time (skip logic applies as people move on)")
    replies = BooleanField("Give respondents a codename for replies")


class QuestionForm(Form):
    type = SelectField("Type", choices=sorted(QUESTION_TYPES))
    name = StringField("Name (column in the results)", validators=[DataRequired(), Length(max=64)])
    label = TextAreaField("Question", validators=[DataRequired(), Length(max=2000)])
    hint = TextAreaField("Help text", validators=[Length(max=2000)])
    required = BooleanField("Required")
    choices = TextAreaField("Choices, one per line: name = label", validators=[Length(max=20000)])
    minimum = StringField("Minimum (numbers, dates, scale start)", validators=[Length(max=40)])
    maximum = StringField("Maximum (numbers, dates, scale end)", validators=[Length(max=40)])
    low_label = StringField("Scale: label of the lowest point", validators=[Length(max=200)])
    high_label = StringField("Scale: label of the highest point", validators=[Length(max=200)])
    max_length = IntegerField("Longest answer (characters)", validators=[Optional()])
    max_files = IntegerField("Most files", validators=[Optional(), NumberRange(0, 100)])
    accept = StringField("File kinds, e.g. image/*, application/pdf", validators=[Length(max=500)])
    relevant = StringField("Ask only if (skip logic)", validators=[Length(max=1000)])
    constraint = StringField("Answer must satisfy", validators=[Length(max=1000)])
    constraint_message = StringField("Message when it does not", validators=[Length(max=500)])
    group = SelectField("Group", choices=[], validate_choice=False)


class GroupForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    label = StringField("Heading", validators=[Length(max=300)])
    relevant = StringField("Ask only if (skip logic)", validators=[Length(max=1000)])
    field_list = BooleanField("All on one page")


class UploadForm(Form):
    file = FileField("File", validators=[FileRequired()])


class ReviewerForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    key = StringField("Public key (glas-pk-1:…)", validators=[DataRequired(), Length(max=200)])


class RetentionForm(Form):
    exported_days = IntegerField(
        "Delete exported submissions after (days)", validators=[Optional(), NumberRange(0, 36500)]
    )
    all_days = IntegerField(
        "Delete every submission after (days)", validators=[Optional(), NumberRange(0, 36500)]
    )
