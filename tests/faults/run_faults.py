"""The fault-injection run: the story and a crowd of customers, against a hostile world.

While people act, both emulators answer 10% of the connector's requests with a 5xx, 5% with
a 429, 2% too late for its timeout and 2% not at all after doing the work; QuickBooks access
tokens live a few seconds and refresh tokens rotate on every refresh; webhooks come one to
three times, out of order, some held back past a poll. The sync runs as its own process
(`ml-connector serve`), killed with SIGKILL at random moments `kills` times and started
again each time (once the people are done, the kills go on until that many). Then faults go
off, a manual `pipeline run --all` catches up beside the service, and every promise is
checked by reading both systems directly.

    python tests/faults/run_faults.py --kills 60 --scale 20

prints the figures as a table and exits 1 if any promise was broken. The pytest suite runs
the same `run()` at a size that fits CI.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fault_figures import FaultReport, tallies
from fault_people import Crowd, PeopleStory
from fault_process import Killer, SyncProcess
from fault_world import FaultPlan, FaultWorld

from ml_connector.connectors.qbo_stripe.checks import invariant_problems
from ml_connector.connectors.qbo_stripe.story import wait_until
from ml_connector.engine.sync.reconcile import reconcile
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import free_port

Echo = Callable[[str], None]
# What must never appear in the sync process's log: a dead grant (the message names the
# command that re-authorises), or an exception nobody handled (a worker thread or a request
# handler that crashed). A poll that failed after its retries is logged with its traceback
# on purpose and polled again later: not an alarm.
LOG_ALARMS = ("invalid_grant", "connections auth", "Exception in thread",
              "Exception in ASGI application")


class Settler:
    """Waits, with faults still on, until both systems agree (or a while has passed).

    People act on what they see: a customer can only pay an invoice that reached Stripe.
    A wait that runs out is not a failure by itself; the final check decides.
    """

    def __init__(self, world: FaultWorld, echo: Echo, timeout: float):
        self.world, self.echo, self.timeout = world, echo, timeout

    def __call__(self) -> None:
        started = time.monotonic()
        if wait_until(lambda: not invariant_problems(self.world.sandbox),
                      timeout=self.timeout, interval=0.5):
            self.echo(f"  ... caught up after {time.monotonic() - started:.1f}s")
            return
        behind = invariant_problems(self.world.sandbox)
        self.echo(f"  ... still behind after {time.monotonic() - started:.1f}s: "
                  + "; ".join(behind[:3]) + (" ..." if len(behind) > 3 else ""))


def run(folder: Path, *, kills: int = 20, scale: int = 3, seed: int = 20_261_102,
        life: tuple[float, float] = (0.5, 4.0), echo: Echo = lambda _text: None,
        settle_timeout: float | None = None, debug: bool = False) -> FaultReport:
    """One whole fault run in `folder`; the report says what happened and what broke.

    `folder` keeps the project, its database, the sync process's log (`sync.log`) and, at
    the end, both systems' state and Stripe's request log, to read after a failure.
    People wait up to `settle_timeout` seconds (default: 6, plus one per crowd customer)
    for the connector to catch up before their next step.
    """
    settle_timeout = settle_timeout if settle_timeout is not None else 6.0 + scale
    plan = FaultPlan(seed=seed)
    started = time.monotonic()
    with FaultWorld(folder, plan) as world:
        runtime = world.sandbox.runtime()
        process = SyncProcess(world.project_file, free_port(), folder / "sync.log",
                              workers=plan.workers, verbosity=2 if debug else 1)
        try:
            killer = _chaos(world, runtime, process, plan, kills=kills, scale=scale,
                            life=life, echo=echo, settle_timeout=settle_timeout)
            echo("faults off; letting the sync settle")
            quiet = time.monotonic()
            _settle_quietly(world, runtime, process)
            echo(f"  ... settled after {time.monotonic() - quiet:.1f}s")
            return _report(world, runtime, process, killer.kills,
                           time.monotonic() - started)
        finally:
            process.kill()
            runtime.close()
            world.save_evidence(folder)


def _chaos(world: FaultWorld, runtime: Runtime, process: SyncProcess, plan: FaultPlan, *,
           kills: int, scale: int, life: tuple[float, float], echo: Echo,
           settle_timeout: float) -> Killer:
    """People act while faults are on and the sync keeps dying; returns the killer's tally."""
    world.sandbox.connect_webhooks(process.url)
    world.faults_on()
    process.start()
    killer = Killer(process, random.Random(plan.seed), kills, life).start()
    settle = Settler(world, echo, settle_timeout)
    first_sync = Settler(world, echo, max(settle_timeout, 60.0))
    try:
        echo("the first sync of the sample company, under faults")
        first_sync()
        PeopleStory(world.sandbox, runtime, settle, echo=echo).play()
        crowd = Crowd(world.sandbox, runtime, settle, scale).play()
        echo(f"the crowd: {len(crowd.invoices)} invoices, {crowd.paid_online} paid online, "
             f"{crowd.paid_by_cheque} by cheque, {crowd.refunds} refunds, "
             f"{crowd.disputes} disputes, {len(crowd.skipped)} actions found nothing to do")
        killer.wait()
    finally:
        killer.stop()
    echo(f"{killer.kills} kills")
    return killer


def _settle_quietly(world: FaultWorld, runtime: Runtime, process: SyncProcess,
                    timeout: float = 120.0) -> None:
    """Faults off; a manual run beside the service catches up on webhooks given up on
    while the service was down; then every delivery is made and the inbox drained.

    A webhook whose worker was killed waits for its claim to lapse (a minute) before
    another worker takes it, so this can take that long after the last kill.
    """
    world.faults_off()
    process.run_all()
    inbox, intents = runtime.store.inbox, runtime.store.intents

    def settled() -> bool:
        if not world.webhooks_delivered():
            return False
        return (inbox.depth() == 0 and not intents.all_pending()
                and not invariant_problems(world.sandbox))

    wait_until(settled, timeout=timeout, interval=1.0)


def _report(world: FaultWorld, runtime: Runtime, process: SyncProcess, kills: int,
            seconds: float) -> FaultReport:
    oauth = world.oauth_stats()
    logs = process.logs()
    alarms = [line.strip() for line in logs.splitlines()
              if any(alarm in line for alarm in LOG_ALARMS)]
    mismatches = [f"{m.pipeline}/{m.source_id}: {m.kind}: {m.detail}"
                  for report in reconcile(runtime) for m in report.mismatches]
    return FaultReport(
        tallies=tallies(world.sandbox), faults=world.faults_injected(), kills=kills,
        lives=process.lives, token_refreshes=oauth.get("refreshes", 0),
        grace_refreshes=oauth.get("grace_refreshes", 0),
        invalid_grants=oauth.get("invalid_grant", 0),
        problems=invariant_problems(world.sandbox), mismatches=mismatches,
        pending_intents=len(runtime.store.intents.all_pending()),
        inbox=runtime.store.inbox.counts(), unexpected_exits=process.unexpected_exits,
        log_hits=alarms, seconds=seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="how many SIGKILLs")
    parser.add_argument("--scale", type=int, default=10, help="customers beyond the story")
    parser.add_argument("--seed", type=int, default=20_261_102)
    parser.add_argument("--life", type=float, nargs=2, default=(0.5, 4.0),
                        metavar=("MIN", "MAX"), help="seconds the sync lives between kills")
    parser.add_argument("--folder", type=Path, default=None,
                        help="keep the project, database and logs here (default: a temp dir)")
    parser.add_argument("--debug", action="store_true",
                        help="log every HTTP call of the sync process to FOLDER/sync.log")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ml-connector-faults-") as temp:
        folder = args.folder or Path(temp)
        report = run(folder, kills=args.kills, scale=args.scale, seed=args.seed,
                     life=(args.life[0], args.life[1]), debug=args.debug,
                     echo=lambda text: print(text, flush=True))
    print()
    print(report.table())
    failures = report.failures()
    for failure in failures:
        print(f"BROKEN: {failure}")
    return 1 if failures or report.duplicates or report.lost else 0


if __name__ == "__main__":
    sys.exit(main())
