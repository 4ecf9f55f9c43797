"""Which connections of a project run on a local emulator, and where its state is kept.

A connection runs on one when its plugin ships an emulator it can set up for a connection
(`EmulatorSetup`) and its base_url is a loopback address: the emulator then listens on that
port, so the project file alone says where everything is. Its state lives beside the store
in the project's state folder, so `demo --dir D` and `emulators start` in D share it.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ml_connector.engine.model.project import Project
from ml_connector.engine.plugins.protocol import EmulatorSetup
from ml_connector.engine.plugins.registry import PluginRegistry

STATE_FOLDER = Path(".ml-connector") / "emulators"
# Where `ml-connector serve` listens when started without options.
DEFAULT_SERVE_URL = "http://127.0.0.1:8080"
LOCAL_NAMES = ("localhost",)


@dataclass(frozen=True)
class EmulatedConnection:
    """A connection of the project served by its plugin's emulator on a loopback port."""

    name: str
    plugin: EmulatorSetup
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def state_file(project_root: Path, connection: str) -> Path:
    """Where the emulator standing in for `connection` keeps its state."""
    return project_root / STATE_FOLDER / f"{connection}.json"


def webhook_url(serve_url: str, connection: str) -> str:
    """Where `serve` at `serve_url` takes the webhooks of `connection`."""
    return f"{serve_url.rstrip('/')}/webhooks/{connection}"


def loopback_address(base_url: str | None) -> tuple[str, int] | None:
    """(host, port) of an http URL on this machine's loopback interface, else None."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    host = parts.hostname
    if parts.scheme != "http" or host is None or parts.port is None:
        return None
    if host not in LOCAL_NAMES:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            return None
    return ("127.0.0.1" if host in LOCAL_NAMES else host), parts.port


def emulated_connections(project: Project,
                         registry: PluginRegistry) -> tuple[list[EmulatedConnection], list[str]]:
    """The project's emulated connections, and a note for each connection left out and why."""
    found: list[EmulatedConnection] = []
    notes: list[str] = []
    for connection in project.connections.values():
        address = loopback_address(connection.base_url)
        if address is None:
            notes.append(f"{connection.name}: not on a loopback address "
                         f"({connection.base_url or 'the system itself'}), left alone")
            continue
        plugin = registry.get(connection.connector)
        if not isinstance(plugin, EmulatorSetup):
            notes.append(f"{connection.name}: connector {connection.connector} ships no "
                         "emulator that can stand in for a connection")
            continue
        found.append(EmulatedConnection(connection.name, plugin, *address))
    return found, notes


def port_problem(connection: EmulatedConnection) -> str | None:
    """Why the connection's port cannot be listened on, worded with the fix; None if free."""
    problem = bind_problem(connection.host, connection.port)
    if problem is None:
        return None
    return (f"connection {connection.name}: {problem} (perhaps by this project's emulators, "
            "started in another terminal). Stop what holds it, or move the connection to a "
            "free port: change the port in its base_url and in every other URL of it in the "
            "project file")


def bind_problem(host: str, port: int) -> str | None:
    """Why nothing could listen on host:port right now ("... is already in use"), or None."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # uvicorn binds with SO_REUSEADDR too: a port a stopped emulator left in TIME_WAIT
        # is free to it, only one something is listening on is taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None
