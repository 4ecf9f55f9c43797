"""`ml-connector serve`: webhooks, inbox workers and scheduled polls until stopped."""

from __future__ import annotations

import signal

import click
import uvicorn

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.store.types import utcnow
from ml_connector.engine.triggers.announce import announcement
from ml_connector.engine.triggers.service import Service, ServiceOptions


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (loopback by default; put a TLS proxy in front).")
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True,
              help="Threads draining the webhook inbox.")
@click.option("--no-poll", is_flag=True, help="Do not run the pipelines' poll triggers.")
@pass_state
def serve(state: CliState, host: str, port: int, workers: int, no_poll: bool) -> None:
    """Receive webhooks at /webhooks/CONNECTION, poll on schedule, expose /livez, /healthz and
    /metrics.

    It first lists what it will poll and when, and the webhook paths it accepts. Route
    webhooks and liveness probes by /livez (200 while it can store webhooks); alert on
    /healthz, which answers 503 with the reasons while the service is degraded.
    """
    service = Service(state.runtime(), ServiceOptions(workers=workers, poll=not no_poll))
    for line in announcement(service, f"http://{host}:{port}", utcnow()):
        click.echo(line, err=True)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler
    # that was there before it: make that one a clean exit, since nothing was lost.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _exit_cleanly)
    uvicorn.run(service.app(), host=host, port=port, log_level="warning",
                timeout_graceful_shutdown=30)


def _exit_cleanly(signum: int, _frame: object) -> None:
    click.echo("stopped: in-flight work finished, anything else waits in the inbox", err=True)
    raise SystemExit(0)
