"""``glas serve``: both apps under gunicorn on loopback, published as onion services."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import threading
from pathlib import Path
from types import FrameType

import click
from sqlalchemy.exc import SQLAlchemyError

from glas.cli import BadInput, Failure
from glas.messages import _
from onion import PowSettings, ServiceKey, ServiceKeyStore, Tor, TorSettings
from onion.balance import InstanceService

from ..config import ORGANIZER_SERVICE, RESPONDENT_SERVICE, Config
from ..serving import (
    ORGANIZER_FACTORY,
    RESPONDENT_FACTORY,
    AppProcess,
    ServeError,
    port_is_free,
    start_apps,
)
from ..storage import Store, onions
from ..storage.blobs import node_name
from .publication import CHECK_SECONDS, BootstrapWatch, StatusFile

DEFAULT_PORT = 8080
DEFAULT_ORGANIZER_PORT = 8081
CLIENT_POLL_SECONDS = 10


@click.command("serve")
@click.option("--local-only", is_flag=True, help="Serve on 127.0.0.1 only; publish no onion.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Loopback port of the respondent app.",
)
@click.option(
    "--organizer-port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_ORGANIZER_PORT,
    show_default=True,
    help="Loopback port of the organizer app.",
)
@click.option(
    "--tor",
    "tor_mode",
    type=click.Choice(["auto", "system", "bundled"]),
    default="auto",
    show_default=True,
    help="Attach to a running tor (system), launch a private one (bundled), or try both.",
)
@click.option("--tor-control", help="Control socket path or port of a running tor.")
@click.option(
    "--tor-password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the control password of a running tor.",
)
@click.option(
    "--tor-option",
    "tor_options",
    multiple=True,
    metavar="'Key Value'",
    help="A torrc line for a launched tor (repeatable), e.g. 'DisableNetwork 1'. "
    "GLAS_TOR_OPTIONS adds more, separated by ';'.",
)
@click.option(
    "--pow/--no-pow",
    default=True,
    show_default=True,
    help="Tor's proof-of-work DoS defence on the respondent onion.",
)
@click.option(
    "--pow-queue-rate",
    type=click.IntRange(1),
    default=PowSettings.queue_rate,
    show_default=True,
    help="Introductions per second handled under attack.",
)
@click.option(
    "--pow-queue-burst",
    type=click.IntRange(1),
    default=PowSettings.queue_burst,
    show_default=True,
    help="Burst of introductions handled under attack.",
)
@click.option(
    "--organizer-onion/--no-organizer-onion",
    default=True,
    show_default=True,
    help="Publish the organizer onion from this node. With several nodes, one publishes it.",
)
def command(
    local_only: bool,
    port: int,
    organizer_port: int,
    tor_mode: str,
    tor_control: str | None,
    tor_password_file: Path | None,
    tor_options: tuple[str, ...],
    pow: bool,
    pow_queue_rate: int,
    pow_queue_burst: int,
    organizer_onion: bool,
) -> None:
    """Run the respondent and organizer apps and publish them as onion services."""
    for p, option in ((port, "--port"), (organizer_port, "--organizer-port")):
        if not port_is_free(p):
            raise BadInput(
                _(
                    "Port %(port)d on 127.0.0.1 is in use; choose another with %(option)s.",
                    port=p,
                    option=option,
                )
            )
    if port == organizer_port:
        raise BadInput(_("--port and --organizer-port must differ."))
    # None: another node publishes the organizer onion (--no-organizer-onion).
    published_organizer = organizer_port if organizer_onion else None
    config = Config.from_env()
    store = Store(config)
    store.initialise()
    store.sweep_leftovers()  # before any worker can be receiving an upload
    store.engine.dispose()  # the apps are forked from here: no connection may cross a fork

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    apps: list[AppProcess] = []
    tor: Tor | None = None
    status = StatusFile(config)
    watch: BootstrapWatch | None = None
    try:
        apps += start_apps(
            (RESPONDENT_SERVICE, RESPONDENT_FACTORY, port),
            (ORGANIZER_SERVICE, ORGANIZER_FACTORY, organizer_port),
        )
        click.echo(f"Respondent portal (local): {apps[0].url}")
        click.echo(f"Organizer interface (local): {apps[1].url}")
        status.local = {RESPONDENT_SERVICE: apps[0].url, ORGANIZER_SERVICE: apps[1].url}
        status.write()
        if local_only:
            click.echo(
                _(
                    "!! LOCAL ONLY: not published as an onion service; "
                    "reachable from this machine only."
                ),
                err=True,
            )
        else:
            settings = TorSettings(
                mode=tor_mode,
                data_dir=config.data_dir / "tor",
                control=tor_control,
                password=_read_secret(tor_password_file),
                extra_options=[*tor_options, *_env_tor_options()],
            )
            pow_settings = PowSettings(pow, pow_queue_rate, pow_queue_burst)
            tor = _publish(store, settings, pow_settings, port, published_organizer, status)
            watch = BootstrapWatch(tor, status)
        _supervise(apps, tor, store, published_organizer, stop, status, watch)
    except ServeError as e:
        raise Failure(str(e)) from e
    finally:
        if tor is not None:
            tor.close()
        for app in reversed(apps):
            app.stop()
        status.clear()
    click.echo(_("Stopped."))


def _publish(
    store: Store,
    settings: TorSettings,
    pow_settings: PowSettings,
    port: int,
    organizer_port: int | None,
    status_file: StatusFile,
) -> Tor:
    """Publish the respondent onion (on its own, or as an instance of the front) and, unless
    ``organizer_port`` is None (another node publishes it), the organizer onion."""
    keys = ServiceKeyStore(store.config.onion_dir)
    respondent = keys.load_or_create(RESPONDENT_SERVICE)
    onions.register_instance(store, respondent.service_id, node_name())
    instance = _instance(store, settings, respondent, port, pow_settings)
    if instance is not None:
        settings = dataclasses.replace(settings, include=[instance.write()])
    tor = Tor.connect(settings)
    how = "launched a private tor" if tor.launched else "attached to the running tor"
    click.echo(f"Tor {tor.version}: {how}.")
    status = status_file.services

    def published(service_id: str) -> None:
        for name, entry in status.items():
            if entry["service_id"] == service_id and not entry["published"]:
                entry["published"] = True
                click.echo(f"{name.capitalize()} onion descriptor published.")
        status_file.write()

    tor.on_descriptor_uploaded(published)
    status[RESPONDENT_SERVICE] = {
        "service_id": respondent.service_id,
        "published": False,
        "pow": pow_settings.enabled,
    }
    if instance is None:
        tor.add_service({80: f"127.0.0.1:{port}"}, respondent, pow_settings=pow_settings)
        click.echo(f"Respondent onion: http://{respondent.address}/")
    else:
        tor.expect_configured(respondent.service_id, instance.directory, instance.torrc)
        status[RESPONDENT_SERVICE]["front"] = instance.front_id
        click.echo(
            f"Respondent onion: http://{respondent.address}/ "
            f"(an instance of the Onionbalance front http://{instance.front_id}.onion/)"
        )
    if not pow_settings.enabled:
        click.echo(_("!! Proof-of-work defence is OFF for the respondent onion."), err=True)
    if organizer_port is None:
        click.echo("Organizer onion: not published from this node (--no-organizer-onion).")
        status_file.write()
        return tor
    organizer = keys.load_or_create(ORGANIZER_SERVICE)
    clients = store.active_client_keys()
    status[ORGANIZER_SERVICE] = {
        "service_id": organizer.service_id,
        "published": False,
        "clients": len(clients),
    }
    if clients:
        tor.add_service({80: f"127.0.0.1:{organizer_port}"}, organizer, client_keys=clients)
        click.echo(
            f"Organizer onion: http://{organizer.address}/ "
            f"(client authorisation: {len(clients)} key(s))"
        )
    else:
        click.echo(
            f"Organizer onion: http://{organizer.address}/ (NOT published until an "
            "organizer has a client key: glas organizers add NAME)"
        )
    status_file.write()
    return tor


def _instance(
    store: Store, settings: TorSettings, key: ServiceKey, port: int, pow_settings: PowSettings
) -> InstanceService | None:
    """The respondent onion as an instance of the front, when the organizers set one up
    (``glas onion front``); tor learns it from a torrc, as ``ADD_ONION`` cannot say it."""
    front = onions.front(store)
    directory = settings.data_dir / "instance"
    if front is None:
        # No front (any more): tor's copy of the key is not needed, and not kept.
        shutil.rmtree(directory, ignore_errors=True)
        return None
    return InstanceService(directory, key, front, f"127.0.0.1:{port}", pow_settings)


def _supervise(
    apps: list[AppProcess],
    tor: Tor | None,
    store: Store,
    organizer_port: int | None,
    stop: threading.Event,
    status: StatusFile,
    watch: BootstrapWatch | None = None,
) -> None:
    """Wait for a signal; notice a dying app; say how tor is doing; follow changes to the
    organizer client keys."""
    clients = store.active_client_keys()
    ticks = 0
    if watch is not None:
        watch.check()
    while not stop.wait(1.0):
        for app in apps:
            if app.exited:
                raise ServeError(f"The {app.name} app stopped unexpectedly; shutting down.")
        ticks += 1
        if watch is not None and ticks % CHECK_SECONDS == 0:
            watch.check()
        if ticks % store.config.tidy_seconds == 0:
            _tidy(store)
        if tor is None or organizer_port is None or ticks % CLIENT_POLL_SECONDS:
            continue
        current = store.active_client_keys()
        if current != clients:
            _republish_organizer(tor, store, organizer_port, current, status)
            clients = current


def _tidy(store: Store) -> None:
    """Rewrite the database in key order; a failure is one line, and serving goes on."""
    try:
        store.tidy()
    except SQLAlchemyError as e:
        click.echo(f"Could not tidy the database: {type(e).__name__}", err=True)


def _republish_organizer(
    tor: Tor, store: Store, organizer_port: int, clients: list[str], status: StatusFile
) -> None:
    """Publish the organizer onion anew for these client keys. Until tor has uploaded the new
    descriptor it is not published (`glas onion status` says so, and the log says when it is):
    the old one may still admit a revoked key's holder."""
    key = ServiceKeyStore(store.config.onion_dir).load_or_create(ORGANIZER_SERVICE)
    if ORGANIZER_SERVICE in status.services:
        status.services[ORGANIZER_SERVICE]["published"] = False
        status.write()
    if key.service_id in tor.services:
        tor.remove_service(key.service_id)
    if clients:
        tor.add_service({80: f"127.0.0.1:{organizer_port}"}, key, client_keys=clients)
    click.echo(f"Organizer onion now admits {len(clients)} client key(s).")


def _env_tor_options() -> list[str]:
    return [o.strip() for o in os.environ.get("GLAS_TOR_OPTIONS", "").split(";") if o.strip()]


def _read_secret(path: Path | None) -> str | None:
    if path is None:
        return None
    lines = path.read_text().splitlines()
    return lines[0] if lines else ""
