"""The reviewer's side, run on an offline machine: keys, ``glas decrypt`` and ``verify``,
``glas reply``, signing the warning feed, and everything a decrypt writes (tables, statistics
files, testimony pages, scrubbed files, the report).

It imports nothing of the web stack (Flask, Werkzeug, SQLAlchemy, Alembic, stem, gunicorn): a
test runs every command here with those made unimportable, and the reviewer's install
(``make reviewer-kit``) does not even contain them. What it shares with the server is the
cryptography (:mod:`crypto`), the survey model and rules (:mod:`surveys`) and :mod:`glas`.
"""
