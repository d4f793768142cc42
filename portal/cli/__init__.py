"""The ``glas`` command: one entry point composing crypto, surveys, portal and onion.

Exit status follows design §4: 0 success, 1 the work failed, 2 bad input or usage, always with a
one-line message on stderr.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from crypto import BadPassphrase, BadSignature, BundleFormatError, CryptoError, KeyFormatError
from onion import OnionError
from surveys import SurveyError

from ..config import ConfigError
from ..errors import PortalError

BAD_INPUT_ERRORS = (
    KeyFormatError,
    BadPassphrase,
    BadSignature,
    BundleFormatError,
    SurveyError,
    ConfigError,
)


class Failure(click.ClickException):
    """The work failed: a one-line message and exit status 1 (design §4)."""

    exit_code = 1


class BadInput(Failure):
    """The input or usage was wrong: a one-line message and exit status 2 (design §4)."""

    exit_code = 2


class GlasGroup(click.Group):
    """Turn our packages' errors into one clear line and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BAD_INPUT_ERRORS as e:
            raise BadInput(str(e)) from e
        except (CryptoError, PortalError, OnionError) as e:
            raise Failure(str(e)) from e


@click.group(cls=GlasGroup)
@click.version_option(package_name="glas")
def cli() -> None:
    """Glas: a secure survey and testimony portal for Tor onion services."""


def _register_commands() -> None:
    # Imported here: each command module imports Failure and BadInput from this one.
    from . import (
        alerts,
        decrypt,
        export,
        keys,
        onion,
        replies,
        retention,
        reviewers,
        serve,
        surveys,
    )

    for module in (keys, reviewers, surveys, serve, onion, export, decrypt, alerts, retention):
        cli.add_command(module.command)
    cli.add_command(onion.organizers)
    cli.add_command(decrypt.verify)
    cli.add_command(replies.reply)
    cli.add_command(replies.replies)


_register_commands()


def main() -> None:
    sys.exit(cli.main(standalone_mode=True))
