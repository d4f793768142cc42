"""A small typed layer over stem: reach a tor (attach or launch) and run onion services on it.

Two ways to get a tor: **attach** to one already running (Debian's ``tor`` service: control
socket or port, cookie or password), or **bundled**: launch a private tor with its own data
directory under Glas's data dir. ``auto`` attaches when it can and launches otherwise.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stem
import stem.connection
import stem.process
import stem.response
from stem.control import Controller, EventType

from .errors import ServiceError, TorControlError, TorNotInstalled, TorStartFailed
from .keys import SERVICE_KEY_TYPE, ServiceKey

SYSTEM_CONTROL_SOCKETS = ("/run/tor/control",)
SYSTEM_CONTROL_PORTS = (9051,)
LAUNCH_TIMEOUT_SECONDS = 90
INSTALL_HINT = (
    "Install it with 'sudo apt-get install tor', or run 'glas serve --local-only' "
    "to serve on 127.0.0.1 only."
)


@dataclass(frozen=True)
class PowSettings:
    """Tor's proof-of-work defence (tor >= 0.4.8) for an onion service.

    Under attack, tor asks clients to solve a puzzle before it accepts their introduction, and
    serves those who worked harder first. A respondent's Tor Browser solves it by itself; on a
    slow phone that can take several seconds, but only while the service is under load.
    ``queue_rate`` and ``queue_burst`` bound how many introductions per second are processed.
    """

    enabled: bool = True
    queue_rate: int = 250
    queue_burst: int = 2500


@dataclass
class TorSettings:
    mode: str = "auto"  # auto | system | bundled
    data_dir: Path = Path("tor")
    control: str | None = None  # a control socket path or port for attach mode
    password: str | None = None
    extra_options: Sequence[str] = field(default_factory=tuple)
    binary: str = "tor"
    #: torrc files a launched tor includes (an Onionbalance instance's, onion/balance.py).
    include: Sequence[Path] = field(default_factory=tuple)


@dataclass(frozen=True)
class Bootstrap:
    """How far tor got in reaching the Tor network (its status/bootstrap-phase)."""

    progress: int
    summary: str
    #: tor's own warning when it is stuck ("" when none), e.g. "Network is unreachable".
    problem: str = ""
    #: The DisableNetwork option: tor will not even try.
    network_disabled: bool = False

    @property
    def done(self) -> bool:
        return self.progress >= 100

    def to_dict(self) -> dict[str, object]:
        return {
            "progress": self.progress,
            "summary": self.summary,
            "problem": self.problem,
            "network_disabled": self.network_disabled,
        }


def parse_bootstrap(phase: str, network_disabled: bool = False) -> Bootstrap:
    """``NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" …`` as a value."""
    fields = dict(re.findall(r'([A-Z]+)=("[^"]*"|\S+)', phase))
    progress = fields.get("PROGRESS", "0")
    problem = fields.get("WARNING", "").strip('"')
    reason = fields.get("REASON", "")
    if problem.upper() == "DONE":
        # tor names a connection it closed normally "DONE": not a problem to show anyone
        problem = ""
    elif problem and reason and reason.upper() != problem.upper():
        problem = f"{problem} ({reason})"
    return Bootstrap(
        int(progress) if progress.isdigit() else 0,
        fields.get("SUMMARY", "").strip('"'),
        problem,
        network_disabled,
    )


class Tor:
    """A controller connection, plus the tor process when we launched it."""

    def __init__(self, controller: Controller, process: subprocess.Popen[bytes] | None) -> None:
        self.controller = controller
        self.process = process
        self.services: list[str] = []
        #: Services of tor's configuration (a HiddenServiceDir), not of this connection.
        self.configured: list[str] = []

    @property
    def launched(self) -> bool:
        return self.process is not None

    @property
    def version(self) -> str:
        return str(self.controller.get_version())

    @classmethod
    def connect(cls, settings: TorSettings) -> Tor:
        """Attach or launch as ``settings.mode`` says; raise an :class:`OnionError` with advice."""
        if settings.mode not in ("auto", "system", "bundled"):
            raise TorControlError(f"Unknown tor mode '{settings.mode}' (auto, system, bundled).")
        if settings.mode in ("auto", "system"):
            try:
                return cls(attach(settings.control, settings.password), None)
            except TorControlError:
                if settings.mode == "system":
                    raise
        return launch(settings)

    def add_service(
        self,
        ports: dict[int, str],
        key: ServiceKey,
        client_keys: Sequence[str] = (),
        pow_settings: PowSettings | None = None,
    ) -> None:
        """Create an ephemeral onion service for ``key``'s address (tor keeps no copy of it)."""
        flags = ["DiscardPK"] + (["V3Auth"] if client_keys else [])
        words = ["ADD_ONION", f"{SERVICE_KEY_TYPE}:{key.private_key}", "Flags=" + ",".join(flags)]
        if pow_settings is not None and pow_settings.enabled:
            # Keyword form: Flags=PoWDefensesEnabled is refused for ephemeral services (tor 0.4.9).
            words += [
                "PoWDefensesEnabled=1",
                f"PoWQueueRate={pow_settings.queue_rate}",
                f"PoWQueueBurst={pow_settings.queue_burst}",
            ]
        words += [f"Port={virtual},{target}" for virtual, target in ports.items()]
        words += [f"ClientAuthV3={client}" for client in client_keys]
        try:
            response = self.controller.msg(" ".join(words))
            stem.response.convert("ADD_ONION", response)
        except (stem.ProtocolError, stem.OperationFailed) as e:
            raise ServiceError(f"tor refused to create the onion service: {_first_line(e)}") from e
        if response.service_id != key.service_id:
            raise ServiceError("tor derived another address from our key; the key file is wrong.")
        self.services.append(key.service_id)

    def expect_configured(self, service_id: str, directory: Path, torrc: Path) -> None:
        """Follow a service tor runs from its configuration (``HiddenServiceDir``): one a
        launched tor read from ``torrc``, or that the running tor's admin included."""
        try:
            directories = self.controller.get_conf("HiddenServiceDir", [], multiple=True)
        except stem.ControllerError as e:
            raise ServiceError(f"tor does not say which onion services it runs: {e}") from e
        if str(directory) not in [str(d).rstrip("/") for d in directories]:
            raise ServiceError(
                f"The running tor does not serve {directory}. Add the line '%include {torrc}' "
                "to its torrc, give that folder to the tor user (chown debian-tor, mode 0700) "
                "and reload tor; or run glas serve --tor bundled."
            )
        self.configured.append(service_id)

    def remove_service(self, service_id: str) -> None:
        try:
            self.controller.remove_ephemeral_hidden_service(service_id)
        except stem.ControllerError as e:
            raise ServiceError(f"tor could not remove {service_id}.onion: {e}") from e
        if service_id in self.services:
            self.services.remove(service_id)

    def bootstrap(self) -> Bootstrap:
        """Where tor is in reaching the network, and whether it may (DisableNetwork)."""
        try:
            phase = str(self.controller.get_info("status/bootstrap-phase", ""))
            disabled = str(self.controller.get_conf("DisableNetwork", "0")) == "1"
        except stem.ControllerError as e:
            return Bootstrap(0, "", f"tor does not answer: {_first_line(e)}")
        return parse_bootstrap(phase, disabled)

    def on_descriptor_uploaded(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(service_id)`` each time tor uploads one of our descriptors."""

        def handler(event: Any) -> None:
            ours = [*self.services, *self.configured]
            if getattr(event, "action", None) == "UPLOADED" and event.address in ours:
                callback(str(event.address))

        self.controller.add_event_listener(handler, EventType.HS_DESC)

    def close(self) -> None:
        """Remove our services and, if we launched tor, stop it."""
        for service_id in list(self.services):
            # If tor refuses, it is going away anyway: ephemeral services die with the connection.
            with contextlib.suppress(ServiceError):
                self.remove_service(service_id)
        self.controller.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def attach(control: str | None = None, password: str | None = None) -> Controller:
    """Connect to a running tor's control socket or port and authenticate (cookie or password)."""
    candidates: list[str | int] = []
    if control:
        candidates.append(int(control) if control.isdigit() else control)
    else:
        candidates += [s for s in SYSTEM_CONTROL_SOCKETS if Path(s).exists()]
        candidates += list(SYSTEM_CONTROL_PORTS)
    last_error = "no control socket or port was found"
    for candidate in candidates:
        try:
            if isinstance(candidate, int):
                controller = Controller.from_port(address="127.0.0.1", port=candidate)
            else:
                controller = Controller.from_socket_file(candidate)
        except stem.SocketError as e:
            last_error = f"{candidate}: {e}"
            continue
        try:
            controller.authenticate(password=password)
        except stem.connection.AuthenticationFailure as e:
            controller.close()
            raise TorControlError(
                f"tor at {candidate} refused our authentication ({_first_line(e)}). For Debian's "
                "tor, run Glas as a member of the debian-tor group, or give --tor-password-file."
            ) from e
        return controller
    raise TorControlError(f"Cannot reach a running tor's control interface ({last_error}).")


def launch(settings: TorSettings) -> Tor:
    """Launch a private tor for Glas alone; it exits when we do (``take_ownership``)."""
    binary = shutil.which(settings.binary)
    if binary is None:
        raise TorNotInstalled(
            f"tor is not installed (no '{settings.binary}' on PATH). {INSTALL_HINT}"
        )
    data_dir = settings.data_dir
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    port_file = data_dir / "control-port"
    port_file.unlink(missing_ok=True)
    config: dict[str, str | list[str]] = {
        "DataDirectory": str(data_dir),
        "ControlPort": "127.0.0.1:auto",
        "ControlPortWriteToFile": str(port_file),
        "CookieAuthentication": "1",
        "SocksPort": "0",
        "Log": ["notice stdout", f"notice file {data_dir / 'tor.log'}"],
    }
    if settings.include:
        config["%include"] = [str(path) for path in settings.include]
    for option in settings.extra_options:
        name, _, value = option.strip().partition(" ")
        if not name or not value:
            raise TorStartFailed(f"--tor-option '{option}' is not of the form 'Key Value'.")
        previous = config.get(name)
        if previous is None or name in ("DataDirectory", "ControlPort", "CookieAuthentication"):
            config[name] = value
        else:
            config[name] = [*([previous] if isinstance(previous, str) else previous), value]
    try:
        process = stem.process.launch_tor_with_config(
            config=config,
            tor_cmd=binary,
            completion_percent=0,  # onion services can be created before bootstrap; offline too
            timeout=LAUNCH_TIMEOUT_SECONDS,
            take_ownership=True,
        )
    except OSError as e:
        raise TorStartFailed(f"tor did not start: {_first_line(e)}") from e
    try:
        controller = attach(port_file.read_text().strip().rpartition(":")[2])
    except (OSError, TorControlError):
        process.kill()
        raise
    return Tor(controller, process)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or ["no details"])[0]
