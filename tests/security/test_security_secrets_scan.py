"""No secret is readable anywhere the product writes, even after a sync that met faults.

Known values go in (client secret, webhook verifier, Stripe key and webhook secret, the
master key, every OAuth token issued during the run); a sync runs through the CLI with
debug logging while both emulators inject 5xx answers, dropped connections and expired
access tokens (so tokens are refreshed and rotated mid-run), and every HTTP exchange is
recorded as a cassette scrubbed with the product's redaction. Then the bytes of the SQLite
files, the debug log, the audit rows and every cassette (the repository's and this run's)
are searched for each value, as itself and as HTTP Basic credentials: zero hits.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vcr
from vcr.request import Request as VcrRequest

from ml_connector.connectors.qbo_stripe.sandbox import (
    QBO_CLIENT_ID,
    QBO_CLIENT_SECRET,
    QBO_VERIFIER,
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    Sandbox,
)
from ml_connector.connectors.quickbooks.tokens import load_tokens
from ml_connector.engine.cli.main import main
from ml_connector.engine.redaction import redact, redact_text

REPOSITORY_CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
# The made-up credentials the repository's cassettes were recorded with.
RECORDED_WITH = ("qbo-test-secret-fake123", "recorded-secret-fake123", "qbo-verifier-fake123",
                 "sk_test_fake123emulator", "whsec_test_fake_secret_123")
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")
RUNS = 5


class TokenWitness:
    """Cassette hooks: note every token an answer carries, then scrub like the logs do."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()

    def request(self, request: VcrRequest) -> VcrRequest:
        masked = redact(dict(request.headers))
        for name in list(request.headers):
            request.headers[name] = redact_text(str(masked[name]))
        request.uri = redact_text(request.uri)
        if request.body:
            body = request.body if isinstance(request.body, bytes) else request.body.encode()
            request.body = redact_text(body.decode("utf-8", "replace")).encode("utf-8")
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        raw = response["body"]["string"]
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        self._witness(text)
        response["body"]["string"] = redact_text(text).encode("utf-8")
        masked = redact(dict(response["headers"]))
        response["headers"] = {k: [redact_text(str(v)) for v in
                                   (values if isinstance(values, list) else [values])]
                               for k, values in masked.items()}
        return response

    def _witness(self, text: str) -> None:
        try:
            body = json.loads(text)
        except ValueError:
            return
        if isinstance(body, dict):
            self.tokens.update(str(body[f]) for f in TOKEN_FIELDS if body.get(f))


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def hits(haystack: bytes, needles: set[str]) -> list[str]:
    return sorted(n for n in needles if n.encode() in haystack)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    logger = logging.getLogger("ml_connector")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:], logger.level = handlers, level


def seed(sandbox: Sandbox) -> None:
    """A few customers with invoices, created before the faults are switched on."""
    runtime = sandbox.runtime()
    try:
        qbo = runtime.connector("quickbooks")
        item = qbo.create("Item", {"Name": "Work", "Type": "Service"}, idempotency_key="item")
        for n in range(4):
            customer = qbo.create("Customer", {
                "DisplayName": f"Scan Customer {n}",
                "PrimaryEmailAddr": {"Address": f"c{n}@scan.example"}},
                idempotency_key=f"customer-{n}")
            amount = Decimal(f"{n + 1}0.00")
            qbo.create("Invoice", {"CustomerRef": {"value": customer.id}, "Line": [{
                "DetailType": "SalesItemLineDetail", "Amount": amount,
                "SalesItemLineDetail": {"ItemRef": {"value": item.id}, "Qty": 1,
                                        "UnitPrice": amount}}]},
                idempotency_key=f"invoice-{n}")
    finally:
        runtime.close()


def inject_faults(sandbox: Sandbox) -> None:
    sandbox.qbo_admin("faults", {"rate_5xx": 0.15, "rate_expire": 0.3, "seed": 11})
    sandbox.stripe_admin("faults", {"faults": [
        {"kind": "error", "status": 500, "rate": 0.5, "times": 3},
        {"kind": "drop", "method": "POST", "path": "/v1/customers", "times": 1}]})


def stored_tokens(sandbox: Sandbox) -> set[str]:
    runtime = sandbox.runtime()
    try:
        tokens = load_tokens(runtime.store.credentials("quickbooks"))
    finally:
        runtime.close()
    assert tokens is not None
    return {tokens.access_token, tokens.refresh_token}


def sync_with_debug_logs(sandbox: Sandbox, witness: TokenWitness, cassette: Path,
                         capsys: pytest.CaptureFixture[str]) -> str:
    recorder = vcr.VCR(record_mode="all", decode_compressed_response=True,
                       before_record_request=witness.request,
                       before_record_response=witness.response)
    log = []
    with recorder.use_cassette(str(cassette)):
        # A later run completes what an earlier one's retries gave up on; the faults are
        # random, so how many runs that takes is too, up to a bound.
        for _attempt in range(RUNS):
            with pytest.raises(SystemExit) as exited:
                main(["-p", str(sandbox.project_file), "-vv", "pipeline", "run", "--all"])
            captured = capsys.readouterr()
            log.append(captured.out + captured.err)
            if exited.value.code == 0:
                break
    return "\n".join(log)


def test_no_secret_in_the_database_logs_audit_or_cassettes_after_a_faulty_sync(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setenv("QBO_CLIENT_ID", QBO_CLIENT_ID)
    witness, cassette = TokenWitness(), tmp_path / "cassettes" / "faulty-sync.yaml"
    with sandbox_factory() as sandbox:
        seed(sandbox)
        tokens_before = stored_tokens(sandbox)
        inject_faults(sandbox)
        log = sync_with_debug_logs(sandbox, witness, cassette, capsys)
        qbo_faults = sandbox.qbo_state()["fault_counts"]
        stripe_faults = sandbox.stripe_admin("faults/counts")
        tokens_after = stored_tokens(sandbox)
        runtime = sandbox.runtime()
        try:
            audit = "\n".join(repr(e) for e in runtime.store.audit.query(limit=None))
            links = runtime.store.links.count()
        finally:
            runtime.close()
        key_file = sandbox.folder / ".ml-connector" / "master.key"
        master_keys = {k.strip() for k in key_file.read_text().split(",") if k.strip()}
        state_files = [p for p in key_file.parent.rglob("*") if p.is_file() and p != key_file]
        databases = b"".join(p.read_bytes() for p in state_files)

    # The run met what it was meant to meet, and got through it.
    assert sum(qbo_faults.values()) > 0 and sum(stripe_faults["counts"].values()) > 0
    assert witness.tokens and tokens_after != tokens_before  # refreshed and rotated mid-run
    summaries = [line for line in log.splitlines() if not line.startswith(("DEBUG", "INFO"))]
    assert links == 8, "\n".join(summaries[-40:])
    assert "DEBUG" in log and "customers-to-stripe" in audit
    assert cassette.exists() and b"SQLite format 3" in databases

    secrets = {QBO_CLIENT_SECRET, QBO_VERIFIER, STRIPE_KEY, STRIPE_WEBHOOK_SECRET,
               *master_keys, *tokens_before, *tokens_after, *witness.tokens}
    secrets |= {basic(QBO_CLIENT_ID, QBO_CLIENT_SECRET), basic(STRIPE_KEY, "")}
    cassettes = [*REPOSITORY_CASSETTES.rglob("*.yaml"), cassette]
    assert len(cassettes) >= 3
    found = {"database": hits(databases, secrets), "debug log": hits(log.encode(), secrets),
             "audit": hits(audit.encode(), secrets)}
    found |= {str(path): hits(path.read_bytes(), secrets | set(RECORDED_WITH))
              for path in cassettes}
    assert {where: values for where, values in found.items() if values} == {}
