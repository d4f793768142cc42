"""Gunicorn settings, the one copy: `glas serve` passes this module to gunicorn with
``--config python:portal.gunicorn_conf``; deploy/gunicorn.conf.py re-exports it for operators."""

from portal.config import Config

# gevent, not threads or sync workers: a slow client costs a greenlet, and thousands fit in a
# worker (16 threads were all taken by 40 trickling uploads). The worker also paces every client
# (portal/gevent_worker.py): one that sends too slowly is cut off. `timeout` is the worker's
# heartbeat only; uploads over slow Tor circuits may take far longer.
worker_class = "portal.gevent_worker.PacedGeventWorker"
workers = Config.from_env().workers  # GLAS_WORKERS, checked by `glas serve` before it starts us
worker_connections = 1000
keepalive = 2
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
