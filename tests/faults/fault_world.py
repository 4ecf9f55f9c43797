"""The world a fault run happens in: both emulators, a project tuned for faults, the switch.

A `FaultPlan` says how hostile the run is. `FaultWorld` starts the sandbox (emulators on
loopback, an authorised project), sets the connections' client timeout below the emulators'
slow answers (so "slow" means "past the timeout", as a real network stall would), and turns
every fault on or off at once. It reads back what was injected from the emulators' own
counters, never from the plan, so the figures report what the connector really met.

QuickBooks' published per-minute limit is off here: the checks read both systems every
second or so, which would use up the connector's share; injected 429s take its place.

Refresh tokens rotate on every refresh, and a superseded one keeps answering for
`refresh_token_grace` seconds (Intuit has documented both "dead at once" and "24 hours
more"). The grace is what lets a connector survive a SIGKILL landing in the few
milliseconds between Intuit's answer and the commit of the new pair: the answer is gone
with the process and no client can get it back. The report counts how often that happened;
every other use of a superseded token would still be an invalid_grant.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from ml_connector.connectors.qbo_stripe.sandbox import (
    QBO_REALM,
    STRIPE_KEY,
    Sandbox,
    SandboxOptions,
)

NO_FAULTS = {"X-Emulator-Faults": "off"}


@dataclass(frozen=True)
class FaultPlan:
    """How hostile a run is. Rates are per API request unless named otherwise."""

    seed: int = 20_261_102
    rate_5xx: float = 0.10
    rate_429: float = 0.05
    rate_slow: float = 0.02
    rate_drop: float = 0.02          # the request is applied, the answer never arrives
    rate_expire: float = 0.01        # an access token dies before its time
    client_timeout: float = 1.0      # the connections' timeout_seconds
    slow_seconds: float = 2.5        # how late a slow answer comes: past the timeout
    access_token_ttl: float = 4.0    # QBO access tokens live a few seconds
    refresh_token_grace: float = 30.0  # see the module docstring
    webhook_delay_rate: float = 0.25
    webhook_delay_seconds: float = 4.0   # long enough for a restart's poll to come first
    workers: int = 4                 # record workers per page, and serve's inbox threads

    def qbo_faults(self) -> dict[str, Any]:
        return {"rate_5xx": self.rate_5xx, "rate_429": self.rate_429,
                "rate_slow": self.rate_slow, "slow_seconds": self.slow_seconds,
                "rate_drop": self.rate_drop, "drop_after_apply": True,
                "rate_expire": self.rate_expire, "webhook_duplicates_max": 2,
                "webhook_reorder": True, "rate_webhook_delay": self.webhook_delay_rate,
                "webhook_delay_seconds": self.webhook_delay_seconds, "seed": self.seed}

    def stripe_faults(self) -> list[dict[str, Any]]:
        rate_limited = {"type": "invalid_request_error", "code": "rate_limit",
                        "message": "Request rate limit exceeded."}
        return [{"kind": "error", "status": 500, "rate": self.rate_5xx},
                {"kind": "error", "status": 429, "rate": self.rate_429, "error": rate_limited},
                {"kind": "slow", "delay": self.slow_seconds, "rate": self.rate_slow},
                {"kind": "drop", "rate": self.rate_drop}]

    def stripe_chaos(self) -> dict[str, Any]:
        return {"duplicate": True, "reorder": True, "delay": self.webhook_delay_seconds,
                "delay_rate": self.webhook_delay_rate}


class QuietSandbox(Sandbox):
    """The sandbox whose own reads are marked exempt: checking the result is not under test."""

    def stripe_get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        reply = httpx.get(f"{self.stripe_url}{path}", params=params, headers=NO_FAULTS,
                          auth=(STRIPE_KEY, ""), timeout=30)
        reply.raise_for_status()
        return reply.json()

    def stripe_post(self, path: str, form: dict[str, Any]) -> Any:
        reply = httpx.post(f"{self.stripe_url}{path}", data=form, headers=NO_FAULTS,
                           auth=(STRIPE_KEY, ""), timeout=30)
        reply.raise_for_status()
        return reply.json()

    def qbo_query(self, statement: str) -> list[dict[str, Any]]:
        """Rows of a query; a token killed early (an injected fault hits the whole realm)
        is replaced and the query sent again."""
        for _ in range(5):
            token = self.qbo_admin("connect", {"realm_id": QBO_REALM})["access_token"]
            reply = httpx.get(f"{self.qbo_url}/v3/company/{QBO_REALM}/query",
                              params={"query": statement, "minorversion": 75},
                              headers={"Authorization": f"Bearer {token}",
                                       "Accept": "application/json", **NO_FAULTS}, timeout=30)
            if reply.status_code != 401:
                break
        reply.raise_for_status()
        body = reply.json()["QueryResponse"]
        return next((v for k, v in body.items() if isinstance(v, list)), [])


class FaultWorld:
    """`with FaultWorld(folder, plan) as world:` both emulators up, the project authorised."""

    def __init__(self, folder: Path, plan: FaultPlan):
        self.folder, self.plan = Path(folder), plan
        options = SandboxOptions(
            qbo={"access_token_ttl": plan.access_token_ttl, "webhook_retry_scale": 0.01,
                 "refresh_token_grace": plan.refresh_token_grace,
                 "webhook_batch_seconds": 0.05, "enforce_limits": False},
            stripe={"random_seed": plan.seed, "webhook_retry_delays": [0.5, 1.0, 2.0, 4.0]},
            workers=plan.workers)
        self.sandbox = QuietSandbox(self.folder, options)

    def __enter__(self) -> FaultWorld:
        self.sandbox.start()
        # The emulators log each connection they drop on purpose; those are the faults.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        self._tune_project()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sandbox.stop()

    @property
    def project_file(self) -> Path:
        return self.sandbox.project_file

    def _tune_project(self) -> None:
        """What a user would edit: a short client timeout, and QBO's throttle wait.

        Injected 429s come at random, not from a per-minute window, so waiting QBO's usual
        minute after one would only make the run long; the backoff still applies.
        """
        project = yaml.safe_load(self.project_file.read_text(encoding="utf-8"))
        connections = project["connections"]
        connections["quickbooks"]["settings"].update(
            timeout_seconds=self.plan.client_timeout, throttle_wait_seconds=1)
        connections["stripe"]["settings"].update(timeout_seconds=self.plan.client_timeout)
        self.project_file.write_text(yaml.safe_dump(project, sort_keys=False),
                                     encoding="utf-8")

    # -- the switch -----------------------------------------------------------------------------

    def faults_on(self) -> None:
        self.sandbox.qbo_admin("faults", self.plan.qbo_faults())
        self._stripe("DELETE", "faults")
        self.sandbox.stripe_admin("faults", {"faults": self.plan.stripe_faults()})
        self.sandbox.stripe_admin("webhooks/chaos", self.plan.stripe_chaos())

    def faults_off(self) -> None:
        self.sandbox.qbo_admin("faults", {})
        self._stripe("DELETE", "faults")
        self.sandbox.stripe_admin("webhooks/chaos", {})

    def webhooks_delivered(self, wait: float = 5.0) -> bool:
        """True when neither emulator holds a delivery (waiting up to `wait` seconds each).

        QuickBooks retries a failed delivery on Intuit's schedule and holds later ones back
        meanwhile, so after many kills its queue can take a while to drain.
        """
        qbo = httpx.post(f"{self.sandbox.qbo_url}/_emulator/webhooks/flush",
                         params={"timeout": wait}, timeout=wait + 30)
        stripe = self.sandbox.stripe_admin("webhooks/flush", {"timeout": wait})
        return qbo.status_code == 200 and bool(stripe["idle"])

    def _stripe(self, method: str, path: str) -> Any:
        reply = httpx.request(method, f"{self.sandbox.stripe_url}/_emulator/{path}",
                              timeout=30)
        reply.raise_for_status()
        return reply.json()

    # -- what happened --------------------------------------------------------------------------

    def faults_injected(self) -> Counter[str]:
        """Faults met, by kind, both systems together, from the emulators' counters."""
        qbo = httpx.get(f"{self.sandbox.qbo_url}/_emulator/faults/counts", timeout=30)
        stripe = self._stripe("GET", "faults/counts")["counts"]
        counts: Counter[str] = Counter()
        for kind, n in [*qbo.json()["counts"].items(), *stripe.items()]:
            kind = "5xx" if kind.startswith("error_5") else kind.removeprefix("error_")
            counts[KIND_NAMES.get(kind, kind)] += n
        return counts

    def save_evidence(self, folder: Path) -> None:
        """Both systems' final state and Stripe's request log, for reading after a failure."""
        (folder / "stripe-requests.json").write_text(
            json.dumps(self._stripe("GET", "requests")["requests"], indent=1), "utf-8")
        (folder / "quickbooks-state.json").write_text(
            json.dumps(self.sandbox.qbo_state(), indent=1), "utf-8")

    def oauth_stats(self) -> dict[str, int]:
        return dict(self.sandbox.qbo_state()["oauth"])


# The emulators' counter names (Stripe's `error_<status>` reduced to the status class),
# as the figures print them.
KIND_NAMES = {"5xx": "5xx answer", "429": "429 answer", "slow": "slow past the timeout",
              "drop": "dropped after apply", "expired_token": "access token killed early",
              "webhook_duplicate": "webhook sent again", "webhook_reordered": "webhooks reordered",
              "webhook_delayed": "webhook held past a poll"}
