"""The organizers' side: served on its own port and onion, never on the respondent one.

Every page but login and account setup needs a logged-in organizer; every POST carries a CSRF
token (checked here, before any view runs).
"""

from flask import Blueprint

bp = Blueprint("organizer", __name__, url_prefix="")

from . import auth, groups, keys, languages, questions, staff, submissions, surveys, views  # noqa: E402,F401 - registers routes
