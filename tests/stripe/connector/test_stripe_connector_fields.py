"""The Stripe entities' declared fields, as `pipeline validate` uses them.

A record is the object as the connector reads it (expanded where its reads expand, with the
connector's `related`); a payload may carry the parameters of the create or update request
and the connector's own invoice fields. Metadata takes any key, on both sides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.loading import load_pipelines
from ml_connector.engine.plugins.registry import PluginRegistry

FROM_STRIPE = """\
name: payment-intents-to-quickbooks
description: Stripe payments become QuickBooks payments.
source: {connection: stripe, entity: ENTITY}
target: {connection: quickbooks, entity: Payment}
mapping:
  PrivateNote: "{{ READ }}"
"""

TO_STRIPE = """\
name: customers-to-stripe
description: QuickBooks customers become Stripe ENTITY records.
source: {connection: quickbooks, entity: Customer}
target: {connection: stripe, entity: ENTITY}
mapping:
  WRITTEN
"""


def key(name: str) -> str:
    """A mapping entry writing the customer's name to field `name`."""
    return f'{name}: "{{{{ record.DisplayName }}}}"'


def problems(tmp_path: Path, text: str, **fields: str) -> list[str]:
    """The messages loading `text` reports, with `fields` replaced ({"READ": "record.id"})."""
    for placeholder, written in fields.items():
        text = text.replace(placeholder, written)
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_pipelines([path], project=None, registry=PluginRegistry.from_entry_points())
    except PipelineInvalid as invalid:
        return [d.message for d in invalid.diagnostics]
    return []


def test_a_misspelt_payment_intent_field_is_reported(tmp_path: Path) -> None:
    assert problems(tmp_path, FROM_STRIPE, ENTITY="payment_intent",
                    READ="record.amount_recieved") == [
        "mapping.PrivateNote: record.amount_recieved is not a field of Stripe "
        "payment_intent (did you mean 'amount_received'?)"]


@pytest.mark.parametrize(("entity", "read"), [
    ("payment_intent", "record.amount_received ~ record.latest_charge"),
    ("payment_intent", "record.related.invoice"),          # the connector's own
    ("refund", "record.charge.customer"),                  # expanded by the refund's reads
    ("invoice_payment", "record.payment.payment_intent.latest_charge.balance_transaction.fee"),
    ("dispute", "record.balance_transactions[0].fee_details[0].amount"),
    ("charge", "record.metadata.any_key_a_user_set"),
    ("payment_intent", "record.customer"),
])
def test_what_a_read_returns_is_never_reported(tmp_path: Path, entity: str,
                                               read: str) -> None:
    assert problems(tmp_path, FROM_STRIPE, ENTITY=entity, READ=read) == []


def test_an_expanded_object_is_checked_like_the_record(tmp_path: Path) -> None:
    assert problems(tmp_path, FROM_STRIPE, ENTITY="refund", READ="record.charge.custmer") == [
        "mapping.PrivateNote: record.charge.custmer is not a field of Stripe refund charge "
        "(did you mean 'customer'?)"]


def test_a_parameter_stripe_does_not_take_is_reported(tmp_path: Path) -> None:
    assert problems(tmp_path, TO_STRIPE, ENTITY="customer", WRITTEN=key("emial")) == [
        "mapping.emial: Stripe customer does not accept a field 'emial' "
        "(did you mean 'email'?)"]
    assert problems(tmp_path, TO_STRIPE, ENTITY="invoice", WRITTEN="lines: [{amout: 1}]") == [
        "mapping.lines[0].amout: Stripe invoice does not accept a field 'amout' in lines[] "
        "(did you mean 'amount'?)"]


@pytest.mark.parametrize(("entity", "written"), [
    ("customer", key("name")), ("customer", key("tax_id_data")),  # created only
    ("customer", key("default_source")),                          # updated only
    ("customer", "metadata: {any_key: x}"),
    ("invoice", key("total")), ("invoice", key("finalize")),
    ("invoice", key("paid_out_of_band")),
    ("invoice", "lines: [{unit_amount_decimal: '1.5', quantity: 2, period: {start: 1}}]"),
    ("invoice", key("custom_fields")), ("invoice", key("due_date")),
])
def test_create_and_update_parameters_and_the_connectors_own_are_accepted(
        tmp_path: Path, entity: str, written: str) -> None:
    assert problems(tmp_path, TO_STRIPE, ENTITY=entity, WRITTEN=written) == []
