"""`emulators start` says plainly why it cannot start, before starting anything."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from ml_connector.engine.cli.main import cli


def project(folder: Path, stripe_url: str) -> Path:
    path = folder / "ml-connector.yaml"
    path.write_text(f"""\
version: 1
pipelines: []
connections:
  payments:
    connector: stripe
    base_url: "{stripe_url}"
    settings: {{secret_key: "${{secret:payments.secret_key}}"}}
""")
    return path


def start(path: Path) -> str:
    result = CliRunner().invoke(cli, ["-p", str(path), "emulators", "start"])
    assert result.exit_code != 0
    return str(result.exception)


def test_a_taken_port_names_the_connection_and_how_to_free_it(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        message = start(project(tmp_path, f"http://127.0.0.1:{port}"))
    assert message.startswith(f"connection 'payments': port {port} on 127.0.0.1 is already "
                              "in use")
    assert "change the port in its base_url" in message


def test_a_project_on_real_systems_has_no_emulators_to_start(tmp_path: Path) -> None:
    message = start(project(tmp_path, "https://api.stripe.com"))
    assert message.splitlines() == [
        "no connection of this project runs on a local emulator: one does when its connector "
        "ships an emulator and its base_url is a loopback address such as "
        "http://127.0.0.1:PORT",
        "payments: not on a loopback address (https://api.stripe.com), left alone"]
