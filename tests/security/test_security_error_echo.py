"""Errors never echo a secret: a wrong Stripe key and a wrong QuickBooks client secret.

Both are stored the way a user stores them (encrypted), then used by the commands a user
runs, with debug logging on. What the user sees (the error line, the debug log, the run
summary) and what the audit trail keeps must explain the problem without the secret, in
plain text or in the base64 form it takes inside an Authorization header.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from ml_connector.connectors.qbo_stripe.sandbox import QBO_CLIENT_ID, Sandbox
from ml_connector.engine.cli.main import main

# Both pass the settings' patterns; the underscores also keep the Stripe key clear of the
# key-shaped text masking, so only real care can keep it out of messages.
WRONG_STRIPE_KEY = "sk_test_wrong_key_echo_9f8e7d6c5b"
WRONG_QBO_SECRET = "qbo-wrong-client-secret-echo-5c4b"


def forms(secret: str, user: str = "") -> list[str]:
    """The ways a secret can show up: as itself and inside HTTP Basic credentials."""
    return [secret, base64.b64encode(f"{user}:{secret}".encode()).decode(),
            base64.b64encode(f"{secret}:".encode()).decode()]


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The CLI configures the product's logger; leave it as it was for other tests."""
    logger = logging.getLogger("ml_connector")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:], logger.level = handlers, level


def run_cli(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ended:
        main(["-p", str(project), "-vv", *args])
    captured = capsys.readouterr()
    return int(ended.value.code or 0), captured.out + captured.err


def audit_text(sandbox: Sandbox) -> str:
    runtime = sandbox.runtime()
    try:
        return "\n".join(repr(entry) for entry in runtime.store.audit.query(limit=None))
    finally:
        runtime.close()


def store_secret(sandbox: Sandbox, key: str, value: str) -> None:
    runtime = sandbox.runtime()
    try:
        runtime.store.secrets.put(key, value)
    finally:
        runtime.close()


def add_customer(sandbox: Sandbox, name: str) -> None:
    runtime = sandbox.runtime()
    try:
        runtime.connector("quickbooks").create("Customer", {"DisplayName": name},
                                               idempotency_key=name)
    finally:
        runtime.close()


def test_a_wrong_stripe_key_is_explained_never_shown(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QBO_CLIENT_ID", QBO_CLIENT_ID)
    with sandbox_factory() as sandbox:
        add_customer(sandbox, "Echo Test Ltd")
        store_secret(sandbox, "stripe.secret_key", WRONG_STRIPE_KEY)
        tested, test_output = run_cli(sandbox.project_file, capsys,
                                      "connections", "test", "stripe")
        ran, run_output = run_cli(sandbox.project_file, capsys,
                                  "pipeline", "run", "customers-to-stripe")
        trail = audit_text(sandbox)
    assert tested != 0 and "not working" in test_output
    assert ran != 0 and "customers-to-stripe" in run_output
    assert "set-secret stripe secret_key" in test_output + run_output  # how to fix it
    for text in (test_output, run_output, trail):
        assert not any(form in text for form in forms(WRONG_STRIPE_KEY)), text


def test_a_wrong_quickbooks_client_secret_is_explained_never_shown(
        sandbox_factory: Callable[..., AbstractContextManager[Sandbox]],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QBO_CLIENT_ID", QBO_CLIENT_ID)
    with sandbox_factory() as sandbox:
        add_customer(sandbox, "Echo Test Ltd")
        store_secret(sandbox, "quickbooks.client_secret", WRONG_QBO_SECRET)
        sandbox.qbo_admin("faults", {"expire_tokens": True})  # the next call must refresh
        code, output = run_cli(sandbox.project_file, capsys,
                               "pipeline", "run", "customers-to-stripe")
        trail = audit_text(sandbox)
    assert code != 0
    assert "check the connection's client_id and client_secret" in output  # how to fix it
    for text in (output, trail):
        assert not any(form in text for form in forms(WRONG_QBO_SECRET, QBO_CLIENT_ID)), text
