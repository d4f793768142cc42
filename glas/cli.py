"""The ``glas`` command: one entry point for the server's commands and the reviewer's.

A command's module is imported only when that command runs, so the reviewer's offline tools
never load the web stack and ``glas --help`` starts at once: the table below names each
command's home and its one-line help (a test holds the table to the commands' own help).

Exit status follows design §4: 0 success, 1 the work failed, 2 bad input or usage, always with a
one-line message on stderr.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NamedTuple

import click


class Failure(click.ClickException):
    """The work failed: a one-line message and exit status 1 (design §4)."""

    exit_code = 1


class BadInput(Failure):
    """The input or usage was wrong: a one-line message and exit status 2 (design §4)."""

    exit_code = 2


class Lazy(NamedTuple):
    """Where a command lives (module, attribute) and its one-line help."""

    module: str
    attribute: str
    help: str


REVIEWER = "reviewer.commands"
SERVER = "portal.cli"

ALERTS = {
    "keygen": Lazy(
        f"{REVIEWER}.alerts",
        "keygen",
        "Make the centre's signing key (offline); print its public line and fingerprint.",
    ),
    "sign": Lazy(
        f"{REVIEWER}.alerts",
        "sign",
        "Check FEED (YAML) and sign it (offline) into a file for the organizers to import.",
    ),
    "trust": Lazy(
        f"{SERVER}.alerts",
        "trust",
        "Trust PUBKEY (a glas-signer-1: line or key file) to sign the warning feed.",
    ),
    "import": Lazy(
        f"{SERVER}.alerts",
        "import_",
        "Publish a signed feed; a changed file or an unknown signer is refused (exit 2).",
    ),
}

COMMANDS = {
    # The reviewer's offline machine.
    "keys": Lazy(f"{REVIEWER}.keys", "command", "Make and inspect reviewer keys."),
    "decrypt": Lazy(
        f"{REVIEWER}.decrypt",
        "command",
        "Decrypt BUNDLES into tables, testimonies, files and report.html.",
    ),
    "verify": Lazy(
        f"{REVIEWER}.verify",
        "command",
        "Check BUNDLES for damage and survey-version digests, without any private key.",
    ),
    "reply": Lazy(
        f"{REVIEWER}.reply",
        "command",
        "Write a reply to SUBMISSION-ID, found in DECRYPTED (a `glas decrypt` output folder).",
    ),
    # The server.
    "serve": Lazy(
        f"{SERVER}.serve",
        "command",
        "Run the respondent and organizer apps and publish them as onion services.",
    ),
    "onion": Lazy(
        f"{SERVER}.onion",
        "command",
        "Onion addresses and who may reach the organizer onion.",
    ),
    "organizers": Lazy(f"{SERVER}.onion", "organizers", "Organizer staff."),
    "reviewers": Lazy(f"{SERVER}.reviewers", "command", "Manage reviewer public keys."),
    "surveys": Lazy(f"{SERVER}.surveys", "command", "Manage surveys."),
    "export": Lazy(
        f"{SERVER}.export",
        "command",
        "Write every not-yet-exported submission to BUNDLE (ciphertext only).",
    ),
    "retention": Lazy(
        f"{SERVER}.retention",
        "command",
        "How long submissions stay on the server (set on the organizer pages).",
    ),
    "replies": Lazy(f"{SERVER}.replies", "replies", "Replies to testimonies, on the server."),
    # Both: signing offline, trusting and publishing on the server.
    "alerts": Lazy("glas.cli", "alerts", "Sign, trust and publish the warning feed."),
}

#: Our packages' errors, by the module that defines them, and what they mean for the exit code.
#: Only modules already loaded are consulted: an error of a module never imported was not raised.
ERRORS = (
    (
        "crypto.errors",
        ("KeyFormatError", "BadPassphrase", "BadSignature", "BundleFormatError"),
        BadInput,
    ),
    ("surveys.errors", ("SurveyError",), BadInput),
    ("portal.config", ("ConfigError",), BadInput),
    ("crypto.errors", ("CryptoError",), Failure),
    ("portal.errors", ("PortalError",), Failure),
    ("onion.errors", ("OnionError",), Failure),
)


def classify(error: Exception) -> type[Failure] | None:
    """The exit kind of one of our packages' errors, or None for anything else."""
    for module_name, names, kind in ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(error, tuple(getattr(module, n) for n in names)):
            return kind
    return None


class LazyGroup(click.Group):
    """A group whose commands are imported when they run (or when their own help is asked)."""

    def __init__(self, *args: Any, lazy: dict[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        where = self.lazy.get(name)
        if where is None:
            return super().get_command(ctx, name)
        try:
            module = importlib.import_module(where.module)
        except ModuleNotFoundError as e:
            if where.module.startswith(SERVER) and not (e.name or "").startswith(
                ("portal", "crypto", "surveys", "onion", "glas")
            ):
                raise BadInput(
                    f"'glas {name}' runs on the server, and this installation is the "
                    f"reviewer's ({e.name} is missing): install glas[server] there."
                ) from e
            raise
        command: click.Command = getattr(module, where.attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands from the table, without importing any of them."""
        rows = [(name, self.lazy[name].help) for name in sorted(self.lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class GlasGroup(LazyGroup):
    """Turn our packages' errors into one clear line and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as e:
            kind = classify(e)
            if kind is None:
                raise
            raise kind(str(e)) from e


@click.group(cls=GlasGroup, lazy=COMMANDS)
@click.version_option(package_name="glas")
def cli() -> None:
    """Glas: a secure survey and testimony portal for Tor onion services."""


@click.group(cls=LazyGroup, lazy=ALERTS)
def alerts() -> None:
    """Sign, trust and publish the warning feed."""


def main() -> None:
    sys.exit(cli.main(standalone_mode=True))
