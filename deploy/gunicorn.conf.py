"""Gunicorn settings for operators who run Glas under gunicorn themselves.

The values live in one place, portal/cli/serve.py (`gunicorn_options`), which `glas serve` uses too.
Run: GLAS_DATA_DIR=/var/lib/glas gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()'
"""

from portal.cli.serve import gunicorn_options

globals().update(gunicorn_options("127.0.0.1:8080"))
