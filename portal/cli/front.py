"""``glas onion front`` and ``glas onion instances``: one address before several nodes.

Each ``glas serve`` records its respondent onion in the shared database. ``glas onion front``
writes the folder the front machine needs (Onionbalance's config, its key, a torrc) and keeps
the front's address, so that every node, from its next start, serves as an instance of it.
"""

from __future__ import annotations

from pathlib import Path

import click

from glas.cli import BadInput, Failure
from onion import OnionError
from onion.balance import FRONT_CONFIG, FRONT_KEY, FRONT_TORRC, write_front

from ..errors import StorageError
from ..storage import onions
from .reviewers import open_store, record


@click.command("front")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="The front's folder: made if missing; its key is kept when it is there already.",
)
@click.option(
    "--instance",
    "others",
    multiple=True,
    metavar="ADDRESS",
    help="Also front this onion (a node that does not share this database). Repeatable.",
)
@click.option("--clear", is_flag=True, help="No front: nodes publish on their own again.")
def front(out: Path | None, others: tuple[str, ...], clear: bool) -> None:
    """Write the Onionbalance front's folder for every node's respondent onion."""
    store = open_store()
    if clear:
        onions.set_front(store, None)
        record(store, "removed the Onionbalance front")
        click.echo("No front now. Restart glas serve on each node to publish on its own.")
        return
    if out is None:
        raise BadInput("Give --out FOLDER for the front's files (or --clear).")
    listed = {i.address: i.name for i in onions.instances(store)}
    try:
        for number, other in enumerate(others, start=1):
            listed.setdefault(onions.parse_address(other), f"other-{number}")
    except StorageError as e:
        raise BadInput(str(e)) from e
    try:
        made = write_front(out, [(name, address) for address, name in listed.items()])
    except OnionError as e:
        raise BadInput(str(e)) from e
    except OSError as e:
        raise Failure(f"Cannot write the front's folder {out}: {e.strerror or e}") from e
    onions.set_front(store, made.key.service_id)
    record(store, "set the Onionbalance front", made.key.address)
    state = "a new address" if made.created else "its key was kept"
    click.echo(f"Front onion: http://{made.key.address}/ ({state})")
    for address, name in listed.items():
        click.echo(f"Instance {name}: http://{address}.onion/")
    click.echo(f"Wrote {out / FRONT_CONFIG}, {out / FRONT_TORRC} and the front's key {FRONT_KEY}.")
    click.echo(
        "Carry the folder to the front machine and delete it here: its key is the front's "
        "address. There: tor -f torrc, then onionbalance -c config.yaml. Restart glas serve "
        "on each node to serve as an instance. Respondents are given the front's address.",
        err=True,
    )


@click.command("instances")
@click.option("--forget", metavar="ADDRESS", help="Drop a node that is gone for good.")
def instances(forget: str | None) -> None:
    """List every node's respondent onion and the front they serve."""
    store = open_store()
    if forget is not None:
        try:
            found = onions.forget_instance(store, forget)
        except StorageError as e:
            raise BadInput(str(e)) from e
        if not found:
            raise BadInput(f"No instance {forget} is known.")
        record(store, "forgot an instance onion", forget)
        click.echo(f"Forgot {forget}. Run glas onion front --out FOLDER again for the front.")
        return
    address = onions.front(store)
    click.echo(f"Front onion: http://{address}.onion/" if address else "Front onion: none")
    for instance in onions.instances(store):
        click.echo(f"Instance {instance.name}: http://{instance.address}.onion/")
