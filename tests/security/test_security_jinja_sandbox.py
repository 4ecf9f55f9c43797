"""The Jinja sandbox through whole pipeline runs: escapes fail per record, nothing leaks.

Pipeline files are user input, and so is the data they read. Each pipeline here tries one
way out of the sandbox from a real run (QuickBooks emulator -> Stripe emulator): the run
must go on through every record, each one failed with a plain "not allowed" in the audit
trail, nothing written to Stripe, the source record unchanged, and no secret or record data
in the error. And text in a source record that looks like a template is data, never code.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml_connector.connectors.qbo_stripe.sandbox import (
    QBO_CLIENT_SECRET,
    QBO_VERIFIER,
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    Sandbox,
    SandboxOptions,
)
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

# Each is a way out of a naive Jinja environment; the comment says where it would lead.
ESCAPES = {
    # Python's class tree: from any object to every loaded class (os, subprocess, ...).
    "dunder-chain": "{{ record.__class__.__mro__[1].__subclasses__() }}",
    # The same, with the attribute name built at run time so no load-time check can see it.
    "dynamic-key": "{{ record[params.attr] }}",
    "attr-filter": "{{ record | attr(params.attr) }}",
    # str.format reaches attributes through its own mini-language.
    "format-string": "{{ '{0.__class__.__init__.__globals__}'.format(record) }}",
    # A function's module globals, and a bound method's owner (which holds the store, and
    # the store the secrets).
    "function-globals": "{{ link.__globals__ }}",
    "bound-method-owner": "{{ link.__self__ }}",
    # Changing the record the mapping reads (and the payload hash the engine keeps).
    "record-mutation": "{{ record.update({'DisplayName': 'changed'}) }}",
}
TEMPLATE_LOOKING = "Acme {{ 7 * 7 }} {% if true %}x{% endif %} {{ link.__self__ }}"
SECRETS = (QBO_CLIENT_SECRET, QBO_VERIFIER, STRIPE_KEY, STRIPE_WEBHOOK_SECRET)


def pipeline(name: str, expression: str) -> str:
    quoted = expression.replace('"', '\\"')
    return textwrap.dedent(f"""\
        name: {name}
        description: Tries to leave the sandbox.
        source: {{connection: quickbooks, entity: Customer}}
        target: {{connection: stripe, entity: customer}}
        params: {{attr: __class__}}
        mapping:
          name: "{quoted}"
          metadata:
            qbo_customer_id: "{{{{ record.Id }}}}"
        """)


VERBATIM = """\
name: verbatim
description: Copies text from the record.
source: {connection: quickbooks, entity: Customer}
target: {connection: stripe, entity: customer}
match:
  - target_field: metadata.qbo_customer_id
    value: "{{ record.Id }}"
mapping:
  name: "{{ record.DisplayName }}"
  description: "Customer {{ record.DisplayName }}"
  metadata:
    qbo_customer_id: "{{ record.Id }}"
"""


class World:
    def __init__(self, sandbox: Sandbox, runtime: Runtime):
        self.sandbox, self.runtime = sandbox, runtime
        qbo = runtime.connector("quickbooks")
        self.customers = [qbo.create("Customer", {"DisplayName": name}, idempotency_key=name)
                          for name in ("Ann Example", TEMPLATE_LOOKING)]

    def stripe_customers(self) -> list[dict[str, Any]]:
        return list(self.sandbox.stripe_get("/v1/customers", {"limit": 100})["data"])

    def qbo_names(self) -> list[str]:
        rows = self.sandbox.qbo_query("SELECT * FROM Customer")
        return sorted(row["DisplayName"] for row in rows)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("jinja-sandbox")
    pipelines = folder / "pipelines"
    pipelines.mkdir()
    for name, expression in ESCAPES.items():
        (pipelines / f"escape-{name}.yaml").write_text(pipeline(f"escape-{name}", expression))
    (pipelines / "verbatim.yaml").write_text(VERBATIM)
    options = SandboxOptions(seed_quickbooks=False, workers=2, pipelines_dir=pipelines)
    with Sandbox(Path(folder / "project"), options) as sandbox:
        runtime = sandbox.runtime()
        try:
            yield World(sandbox, runtime)
        finally:
            runtime.close()


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_an_escape_fails_each_record_and_the_run_goes_on(world: World, escape: str) -> None:
    names_before = world.qbo_names()
    runner = Runner(world.runtime)
    summary = runner.run(f"escape-{escape}", full=True)
    assert summary.counts == {"fail": len(world.customers)}
    rows = world.runtime.store.audit.query(run_id=runner.run_id, limit=None)
    assert len(rows) == len(world.customers)
    for row in rows:
        assert row.outcome == "failed" and row.error is not None
        assert "is not allowed" in row.error, row.error
        assert not any(secret in row.error for secret in SECRETS)
        assert "Ann Example" not in row.error  # the record's data stays out of errors too
    assert world.stripe_customers() == []
    assert world.qbo_names() == names_before


def test_template_text_in_a_record_is_copied_never_run(world: World) -> None:
    summary = Runner(world.runtime).run("verbatim", full=True)
    assert summary.counts == {"create": len(world.customers)}
    by_source = {c["metadata"]["qbo_customer_id"]: c for c in world.stripe_customers()}
    created = by_source[world.customers[1].id]
    assert created["name"] == TEMPLATE_LOOKING
    assert created["description"] == f"Customer {TEMPLATE_LOOKING}"
