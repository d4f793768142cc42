"""The public side: the only blueprint mounted on the respondent onion."""

from flask import Blueprint

bp = Blueprint("respondent", __name__)

from . import alerts, browser, codenames, replies, views  # noqa: E402,F401 - registers the routes on bp
