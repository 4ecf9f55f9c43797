"""`connections test` and `status` on a real (emulated) pair of accounts, as a user runs them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ml_connector.connectors.qbo_stripe.sandbox import QBO_REALM, Sandbox
from ml_connector.engine.cli.main import cli


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):
    with Sandbox(tmp_path_factory.mktemp("connections")) as running:
        yield running


def run(sandbox: Sandbox, *args: str):
    return CliRunner().invoke(cli, ["--project", str(sandbox.project_file), "--json", *args])


def test_connections_test_says_both_work_with_the_company_and_token_health(sandbox) -> None:
    qbo = run(sandbox, "connections", "test", "quickbooks")
    assert qbo.exit_code == 0, qbo.output
    report = json.loads(qbo.output)
    assert report["ok"] and report["realm_id"] == QBO_REALM and report["company"]
    assert report["access_token_expires_in_seconds"] > 0
    assert report["refresh_token_days_left"] > 30
    stripe = run(sandbox, "connections", "test", "stripe")
    assert stripe.exit_code == 0 and json.loads(stripe.output)["ok"]


def test_a_revoked_quickbooks_authorisation_is_named_with_the_command_to_fix_it(
        sandbox) -> None:
    runtime = sandbox.runtime()
    try:
        runtime.store.credentials("quickbooks").delete("oauth_tokens")
    finally:
        runtime.close()
    result = run(sandbox, "connections", "test", "quickbooks")
    assert result.exit_code == 1
    assert "ml-connector connections auth quickbooks" in result.output
    sandbox._authorise_quickbooks()   # put it back for the other tests
    assert run(sandbox, "connections", "test", "quickbooks").exit_code == 0


def test_status_shows_token_health_per_connection(sandbox) -> None:
    result = run(sandbox, "status")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "refresh_token_days_left" in text and "stripe" in text
