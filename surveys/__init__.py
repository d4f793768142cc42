"""Survey definitions, their loading and the validation of answers: pure Python, no Flask."""

from .errors import Problem, SurveyDefinitionError, SurveyError
from .loader import load_survey_file, load_survey_text
from .model import Choice, Question, Survey

__all__ = [
    "Choice",
    "Problem",
    "Question",
    "Survey",
    "SurveyDefinitionError",
    "SurveyError",
    "load_survey_file",
    "load_survey_text",
]
