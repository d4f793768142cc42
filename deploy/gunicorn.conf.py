"""Gunicorn settings for operators who run the apps under gunicorn themselves.

The values live in portal/gunicorn_conf.py, which `glas serve` uses too. For example:
  GLAS_DATA_DIR=/var/lib/glas gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:8080 \
      'portal:create_app(prepare=False)'
Run `glas serve --local-only` once first (or any glas command): it creates and migrates the data.
"""

from portal.gunicorn_conf import *  # noqa: F403
