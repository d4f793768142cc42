"""The organizers' side: served on its own port and onion, never on the respondent one."""

from flask import Blueprint

bp = Blueprint("organizer", __name__)

from . import views  # noqa: E402,F401 - registers the routes on bp
