"""Gunicorn settings, the one copy: `glas serve` passes this module to gunicorn with
``--config python:portal.gunicorn_conf``; deploy/gunicorn.conf.py re-exports it for operators."""

# Threads, not sync workers: a sync worker is killed after `timeout` seconds, and an upload over
# a slow Tor circuit can take far longer than that.
worker_class = "gthread"
workers = 2
threads = 8
timeout = 60
graceful_timeout = 20
# Every app is created in the master, after `glas serve` migrated the database.
preload_app = True
# Never an access log: it would record paths, times and client details of respondents.
accesslog = None
# And gunicorn's own messages about bad requests are redacted (no address, no request text).
logger_class = "portal.gunicorn_logging.RedactingLogger"
errorlog = "-"
loglevel = "info"
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# gunicorn >= 25 opens a control socket under $HOME by default; Glas needs none.
control_socket_disable = True
proc_name = "glas"
