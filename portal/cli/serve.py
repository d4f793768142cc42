"""``glas serve``: run the portal under gunicorn on loopback."""

from __future__ import annotations

import socket
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from .. import create_app
from ..config import Config
from . import BadInput

DEFAULT_PORT = 8080


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn configured from deploy/gunicorn.conf.py's values, serving an app made here."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def gunicorn_options(bind: str) -> dict[str, Any]:
    """The settings that matter for respondents' safety; see deploy/gunicorn.conf.py."""
    return {
        "bind": bind,
        # Threads, not sync workers: a sync worker is killed after `timeout` seconds, and a
        # large upload over a slow Tor circuit can take far longer than that.
        "worker_class": "gthread",
        "workers": 2,
        "threads": 8,
        "timeout": 60,
        # No access log: it would record paths, times and client details of respondents.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "proc_name": "glas",
        # gunicorn 25+ opens a control socket under $HOME by default; we need none.
        "control_socket_disable": True,
    }


@click.command("serve")
@click.option("--local-only", is_flag=True, help="Serve on 127.0.0.1 without an onion service.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
def command(local_only: bool, port: int) -> None:
    """Run the respondent portal."""
    if not local_only:
        raise BadInput(
            "Publishing as an onion service is not available in this version yet; "
            "run 'glas serve --local-only' and publish 127.0.0.1 with tor yourself."
        )
    _check_port_free(port)
    app = create_app(Config.from_env())
    click.echo(f"Glas respondent portal: http://127.0.0.1:{port}/")
    click.echo(
        "!! LOCAL ONLY: not published as an onion service; reachable from this machine only.",
        err=True,
    )
    _Gunicorn(app, gunicorn_options(f"127.0.0.1:{port}")).run()


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise BadInput(
                f"Port {port} on 127.0.0.1 is in use; choose another with --port."
            ) from e
