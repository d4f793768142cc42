"""``glas onion`` and ``glas organizers``: addresses, rotation and organizer client keys."""

from __future__ import annotations

import click

from glas.cli import BadInput
from glas.messages import _
from onion import ServiceKeyStore

from ..config import ORGANIZER_SERVICE, RESPONDENT_SERVICE, Config
from ..errors import StorageError
from ..staff import invite, reinvite, remove
from ..storage import onions
from ..storage.blobs import node_name
from ..storage.organizers import SETUP_VALID
from .front import front, instances
from .publication import running_status, why_not_published
from .reviewers import open_store, operator, record
from .serve import DEFAULT_ORGANIZER_PORT


@click.group("onion")
def command() -> None:
    """Onion addresses and who may reach the organizer onion."""


@command.command("status")
def status() -> None:
    """Print both onion addresses and whether their descriptors are published."""
    config = Config.from_env()
    keys = ServiceKeyStore(config.onion_dir)
    running, tor_state = _running_status(config)
    for name in (RESPONDENT_SERVICE, ORGANIZER_SERVICE):
        key = keys.load(name)
        if key is None:
            click.echo(f"{name.capitalize()} onion: none yet (made by the first glas serve).")
            continue
        entry = running.get(name)
        if entry is None and running:
            state = "not published from this node (glas serve --no-organizer-onion)"
        elif entry is None:
            state = "glas serve is not running"
        elif name == ORGANIZER_SERVICE and not entry.get("clients"):
            state = "not published: no organizer client keys"
        elif entry.get("published"):
            state = "descriptor published"
        else:
            state = "not published yet: " + why_not_published(tor_state)
        click.echo(f"{name.capitalize()} onion: http://{key.address}/ ({state})")
    front_id = onions.front(open_store())
    if front_id is not None:
        click.echo(f"Front onion (Onionbalance): http://{front_id}.onion/")


@command.command("rotate")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rotate(yes: bool) -> None:
    """Make a new respondent onion address (the old one stops working)."""
    config = Config.from_env()
    keys = ServiceKeyStore(config.onion_dir)
    old = keys.load(RESPONDENT_SERVICE)
    if old is not None and not yes:
        click.confirm(f"Respondents will no longer reach {old.address}. Continue?", abort=True)
    keys.delete(RESPONDENT_SERVICE)
    new = keys.load_or_create(RESPONDENT_SERVICE)
    store = open_store()
    old_id = old.service_id if old is not None else None
    onions.register_instance(store, new.service_id, node_name(), replaces=old_id)
    if onions.front(store) is not None:
        click.echo("Run glas onion front --out FOLDER again: the front lists this new address.")
    click.echo(f"Respondent onion: http://{new.address}/")
    click.echo(_("Restart glas serve to publish it; tell respondents the new address."), err=True)


command.add_command(front)
command.add_command(instances)


@command.group("clients")
def clients() -> None:
    """Organizer client-authorisation keys."""


@clients.command("list")
def list_clients() -> None:
    """List organizer client keys (public halves only)."""
    for row in open_store().onion_clients():
        state = f"revoked {row.revoked}" if row.revoked else f"added {row.added}"
        click.echo(f"{row.name}: {row.public_key} ({state})")


@clients.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Stop NAME's key from reaching the organizer onion (a running server follows within 10 s)."""
    store = open_store()
    try:
        store.revoke_onion_client(name)
    except StorageError as e:
        raise BadInput(str(e)) from e
    record(store, "revoked an organizer onion key", name)
    click.echo(_("Revoked the organizer onion key of %(name)s.", name=name))


@click.group("organizers")
def organizers() -> None:
    """Organizer staff."""


@organizers.command("add")
@click.argument("name")
def add_organizer(name: str) -> None:
    """Give NAME an account and a client key for the organizer onion; prints both once."""
    if not name.strip():
        raise BadInput(_("NAME cannot be empty."))
    store = open_store()
    try:
        invitation = invite(store, name.strip(), operator())
    except StorageError as e:
        raise BadInput(str(e)) from e
    click.echo(_("Organizer %(name)s added. Give them, privately, once:", name=invitation.name))
    click.echo("  " + _("Address: %(url)s", url=invitation.address))
    click.echo("  " + _("Key for Tor Browser: %(key)s", key=invitation.client_key))
    line = invitation.auth_line
    click.echo("  " + _("Or this line in a tor client's ClientOnionAuthDir: %(line)s", line=line))
    link = invitation.setup_link
    click.echo(
        "  " + _("Account setup (once, for %(n)d days): %(link)s", n=SETUP_VALID.days, link=link)
    )
    _local_setup_link(invitation.setup_path)
    click.echo(_("The key is not stored on the server and cannot be shown again."), err=True)


@organizers.command("reset")
@click.argument("name")
def reset_organizer(name: str) -> None:
    """Give NAME a new setup link (new passphrase and phone); their sessions end now."""
    store = open_store()
    try:
        invitation = reinvite(store, name.strip(), operator())
    except StorageError as e:
        raise BadInput(str(e)) from e
    click.echo(
        _(
            "New setup link for %(name)s (once, for %(n)d days):",
            name=invitation.name,
            n=SETUP_VALID.days,
        )
    )
    click.echo(f"  {invitation.setup_link}")
    _local_setup_link(invitation.setup_path)


@organizers.command("remove")
@click.argument("name")
def remove_organizer(name: str) -> None:
    """Revoke NAME's organizer onion key and close their account; their sessions end now."""
    store = open_store()
    try:
        remove(store, name.strip(), operator())
    except StorageError as e:
        raise BadInput(str(e)) from e
    click.echo(_("Revoked the organizer onion key of %(name)s.", name=name.strip()))


def _running_status(
    config: Config,
) -> tuple[dict[str, dict[str, object]], dict[str, object] | None]:
    """What the running glas serve published, and what it last saw of tor."""
    data = running_status(config)
    tor, services = data.get("tor"), data.get("services")
    return (
        dict(services) if isinstance(services, dict) else {},
        tor if isinstance(tor, dict) else None,
    )


def _local_setup_link(path: str) -> None:
    """The same link on the organizer app's address on this machine: for setting up the
    account at the server itself, or through an SSH tunnel, without Tor Browser."""
    local = running_status(Config.from_env()).get("local")
    url = local.get(ORGANIZER_SERVICE) if isinstance(local, dict) else None
    if isinstance(url, str) and url.startswith("http://127.0.0.1:"):
        click.echo("  " + _("On this machine: %(link)s", link=url.rstrip("/") + path))
    else:
        click.echo(
            "  "
            + _(
                "On this machine, while glas serve runs: %(link)s (or the organizer address "
                "glas serve prints, if it was started with --organizer-port)",
                link=f"http://127.0.0.1:{DEFAULT_ORGANIZER_PORT}{path}",
            )
        )
