"""`serve` listens on loopback unless told otherwise, and refuses unsigned deliveries.

Exposing the webhook endpoint to a network is a decision (behind a TLS proxy), never an
accident of defaults. The binding is checked three ways: the option's declared default, the
address the command hands to the server, and the socket a real `ml-connector serve`
process opens, as the kernel lists it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.cli import serve as serve_module
from ml_connector.engine.cli.main import cli
from ml_connector.engine.testing.servers import free_port

LOOPBACK = "127.0.0.1"


def test_the_host_option_defaults_to_loopback() -> None:
    # Protection: the declared default of `serve --host`.
    (host,) = [p for p in serve_module.serve.params if isinstance(p, click.Option)
               and p.name == "host"]
    assert host.default == LOOPBACK


def test_serve_hands_the_server_the_loopback_address(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Protection: the command passes its host, not a wildcard, to uvicorn.
    started: dict[str, Any] = {}
    monkeypatch.setattr(serve_module.uvicorn, "run", lambda app, **kw: started.update(kw))
    with sandbox_factory() as sandbox:
        monkeypatch.setenv("QBO_CLIENT_ID", "sandbox-client-id")
        result = CliRunner().invoke(cli, ["-p", str(sandbox.project_file), "serve",
                                          "--no-poll", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert started["host"] == LOOPBACK and started["port"] == 8123


def listening_addresses(port: int) -> list[str]:
    """Local addresses of sockets listening on `port`, from the kernel's tables (Linux)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table, encoding="ascii") as handle:
            rows = [line.split() for line in handle.readlines()[1:]]
        for row in rows:
            address, hex_port = row[1].rsplit(":", 1)
            if int(hex_port, 16) == port and row[3] == "0A":  # 0A: LISTEN
                found.append(address)
    return found


def as_ipv4(hex_address: str) -> str:
    """/proc/net/tcp writes an IPv4 address as one little-endian hex word."""
    raw = bytes.fromhex(hex_address)[::-1]
    return ".".join(str(b) for b in raw)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads Linux's socket table")
def test_a_real_serve_process_listens_on_loopback_only(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]]) -> None:
    port = free_port()
    with sandbox_factory() as sandbox:
        env = {**os.environ, "QBO_CLIENT_ID": "sandbox-client-id"}
        command = [str(Path(sys.executable).parent / "ml-connector"), "-p",
                   str(sandbox.project_file), "serve", "--no-poll", "--port", str(port)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            assert wait_until_healthy(f"http://{LOOPBACK}:{port}", process)
            addresses = listening_addresses(port)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert addresses and {as_ipv4(a) for a in addresses} == {LOOPBACK}, addresses


def wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.05)
    stderr = process.stderr.read().decode() if process.poll() is not None and \
        process.stderr else ""
    raise AssertionError(f"serve did not come up: {stderr}")
