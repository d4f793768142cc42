"""What ``glas serve`` tells the organizer about its onions while it runs: tor's progress in
reaching the network, said plainly when it cannot, and ``status.json`` for ``glas onion status``
(which services are published and, if not, why)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable

import click

from glas.messages import _
from onion import Tor
from onion.tor import Bootstrap

from ..config import Config

#: How long tor may take to reach the network before we say it cannot (a first start on a
#: slow link takes tens of seconds).
PATIENCE_SECONDS = 60
#: How often tor's progress is read.
CHECK_SECONDS = 2


class StatusFile:
    """``<data>/onion/status.json``: the services this server published, and tor's progress."""

    def __init__(self, config: Config) -> None:
        self.path = config.onion_dir / "status.json"
        self.services: dict[str, dict[str, object]] = {}
        self.tor: dict[str, object] | None = None
        #: The apps' addresses on this machine, {"respondent": url, "organizer": url}.
        self.local: dict[str, str] = {}
        self.lock = threading.Lock()

    def write(self) -> None:
        with self.lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            data = {
                "pid": os.getpid(),
                "services": self.services,
                "tor": self.tor,
                "local": self.local,
            }
            tmp.write_text(json.dumps(data))
            tmp.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class BootstrapWatch:
    """Reads tor's bootstrap progress; says each step, then either that tor reached the network
    or, plainly and once, why nothing can be published and what to check."""

    def __init__(
        self,
        tor: Tor,
        status: StatusFile,
        patience: float = PATIENCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tor, self.status, self.patience, self.clock = tor, status, patience, clock
        self.started = clock()
        self.last: Bootstrap | None = None
        self.warned = False
        self.finished = False

    def check(self) -> None:
        if self.finished:
            return
        state = self.tor.bootstrap()
        if state != self.last:
            self.last = state
            self.status.tor = state.to_dict()
            self.status.write()
            if state.summary:
                click.echo(
                    _(
                        "Tor: %(progress)d%% (%(summary)s)",
                        progress=state.progress,
                        summary=state.summary,
                    )
                )
        if state.done:
            click.echo(_("Tor reached the Tor network; publishing the onion services."))
            self.finished = True
            return
        if self.warned:
            return
        if state.network_disabled:
            click.echo(why_not_published(state.to_dict()), err=True)
            self.warned = True
        elif self.clock() - self.started >= self.patience:
            click.echo(
                _(
                    "!! tor has not reached the Tor network after %(seconds)d s",
                    seconds=int(self.patience),
                )
                + f" ({state.progress}%{': ' + state.summary if state.summary else ''}"
                + (f"; {state.problem}" if state.problem else "")
                + "). "
                + advice(),
                err=True,
            )
            self.warned = True


def advice() -> str:
    """What to check when tor cannot reach the network (translated when it is said)."""
    return _(
        "Check that this machine is online; if Tor is blocked here, use bridges "
        '(--tor-option "UseBridges 1" --tor-option "Bridge obfs4 …", with obfs4proxy '
        "installed); and that the date, time and time zone are right: tor refuses to work "
        "with a wrong clock."
    )


def running_status(config: Config) -> dict[str, object]:
    """What a running ``glas serve`` wrote (empty when none runs)."""
    try:
        data = json.loads((config.onion_dir / "status.json").read_text())
        os.kill(int(data["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def why_not_published(tor: dict[str, object] | None) -> str:
    """Why a descriptor is not published yet, from what ``glas serve`` last saw of tor."""
    if not tor:
        return _("tor has not reported its progress yet")
    if tor.get("network_disabled"):
        return _(
            "!! tor's network is switched off (DisableNetwork 1): the onion services exist "
            "but nothing is published. Remove that tor option to go online."
        )
    progress = tor.get("progress", 0)
    if isinstance(progress, int) and progress >= 100:
        return _("tor is on the Tor network; the descriptor is on its way")
    problem = f"; {tor['problem']}" if tor.get("problem") else ""
    return (
        _(
            "tor has not reached the Tor network (%(progress)s%%: %(summary)s%(problem)s). ",
            progress=progress,
            summary=tor.get("summary") or "?",
            problem=problem,
        )
        + advice()
    )
