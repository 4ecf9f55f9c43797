"""Default shapes of every object the emulator returns, field for field.

Each builder returns a complete object of the pinned API version (2026-10-28.endive) with
every field the `stripe` package's class declares, so clients that read a field the
emulator does not use still find it (null, empty or a realistic default). Behaviour lives
in the resource modules; this module only knows shapes.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator.state import EmulatorState


def _base(state: EmulatorState, kind: str, /, **fields: Any) -> dict[str, Any]:
    return {"id": state.new_id(kind), "object": kind, "created": state.clock.now(),
            "livemode": state.livemode, **fields}


def address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    keys = ("city", "country", "line1", "line2", "postal_code", "state")
    return {key: value.get(key) or None for key in keys}   # `address[line2]=` unsets it


def customer(state: EmulatorState, **fields: Any) -> dict[str, Any]:
    prefix = "".join(state.random.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
    return _base(
        state, "customer", address=None, balance=0, business_name=None, currency=None,
        customer_account=None, default_source=None, delinquent=False, description=None,
        discount=None, email=None, individual_name=None, invoice_prefix=prefix,
        invoice_settings={"custom_fields": None, "default_payment_method": None,
                          "footer": None, "rendering_options": None},
        metadata={}, name=None, next_invoice_sequence=1, phone=None, preferred_locales=[],
        shipping=None, tax_exempt="none", test_clock=None) | fields


def invoice(state: EmulatorState, cust: dict[str, Any], **fields: Any) -> dict[str, Any]:
    obj = _base(state, "invoice")
    obj.update(
        account_country=state.options.account_country,
        account_name=state.options.account_name, account_tax_ids=None, amount_due=0,
        amount_overpaid=0, amount_paid=0, amount_remaining=0, amount_shipping=0,
        application=None, attempt_count=0, attempted=False, auto_advance=False,
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None,
                       "provider": None, "status": None},
        automatically_finalizes_at=None, billing_reason="manual",
        collection_method="charge_automatically", confirmation_secret=None,
        currency=cust.get("currency") or "usd", custom_fields=None, customer=cust["id"],
        customer_account=None, customer_address=cust["address"],
        customer_email=cust["email"], customer_name=cust["name"],
        customer_phone=cust["phone"], customer_shipping=cust["shipping"],
        customer_tax_exempt=cust["tax_exempt"], customer_tax_ids=[],
        default_payment_method=None, default_source=None, default_tax_rates=[],
        description=None, discounts=[], due_date=None, effective_at=None,
        ending_balance=None, footer=None, from_invoice=None, hosted_invoice_url=None,
        invoice_pdf=None, issuer={"type": "self"}, last_finalization_error=None,
        latest_revision=None, lines=line_list(obj["id"], []), metadata={},
        next_payment_attempt=None, number=None, on_behalf_of=None, parent=None,
        payment_settings={"default_mandate": None, "payment_method_options": None,
                          "payment_method_types": None},
        period_end=obj["created"], period_start=obj["created"],
        post_payment_credit_notes_amount=0, pre_payment_credit_notes_amount=0,
        receipt_number=None, rendering=None, shipping_cost=None, shipping_details=None,
        starting_balance=0, statement_descriptor=None, status="draft", status_details=None,
        status_transitions={"finalized_at": None, "marked_uncollectible_at": None,
                            "paid_at": None, "voided_at": None},
        subtotal=0, subtotal_excluding_tax=0, test_clock=None,
        total=0, total_discount_amounts=[], total_excluding_tax=0,
        total_pretax_credit_amounts=[], total_taxes=[], webhooks_delivered_at=None)
    obj.update(fields)
    return obj


def line_list(invoice_id: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": lines, "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines"}


def pricing(price_id: str, product_id: str, unit_amount_decimal: str) -> dict[str, Any]:
    return {"price_details": {"price": price_id, "product": product_id},
            "type": "price_details", "unit_amount_decimal": unit_amount_decimal}


def invoice_item(state: EmulatorState, **fields: Any) -> dict[str, Any]:
    obj = _base(state, "invoiceitem")
    now = obj.pop("created")  # invoice items have a `date` instead
    obj.update(
        amount=0, currency="usd", customer=None, customer_account=None, date=now,
        description=None, discountable=True, discounts=[],
        frozen_fields=None, invoice=None, invoicing_rules=None, metadata={}, net_amount=0,
        parent=None, period={"end": now, "start": now}, pricing=None,
        proration=False, proration_details={"credited_items": None, "discount_amounts": []},
        quantity=1, quantity_decimal="1", tax_rates=[], test_clock=None)
    obj.update(fields)
    return obj


def line_item(state: EmulatorState, item: dict[str, Any],
              taxes: list[dict[str, Any]]) -> dict[str, Any]:
    """The invoice line Stripe shows for one invoice item."""
    return {
        "id": state.new_id("line_item"), "object": "line_item", "amount": item["amount"],
        "currency": item["currency"], "description": item["description"],
        "discount_amounts": [], "discountable": item["discountable"], "discounts": [],
        "invoice": item["invoice"], "livemode": state.livemode,
        "metadata": dict(item["metadata"]),
        "parent": {"invoice_item_details": {"invoice_item": item["id"], "proration": False,
                                            "proration_details": {"credited_items": None},
                                            "subscription": None},
                   "subscription_item_details": None, "type": "invoice_item_details"},
        "period": dict(item["period"]), "pretax_credit_amounts": [],
        "pricing": item["pricing"], "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"], "subscription": None,
        "subtotal": item["amount"], "taxes": taxes,
    }


def invoice_payment(state: EmulatorState, inv: dict[str, Any], amount: int,
                    payment: dict[str, Any], *, is_default: bool) -> dict[str, Any]:
    return _base(state, "invoice_payment", amount_paid=None, amount_requested=amount,
                 currency=inv["currency"], invoice=inv["id"], is_default=is_default,
                 payment={"charge": None, "payment_intent": None, "payment_record": None}
                 | payment,
                 status="open", status_transitions={"canceled_at": None, "paid_at": None})


def payment_intent(state: EmulatorState, amount: int, currency: str,
                   customer_id: str | None, **fields: Any) -> dict[str, Any]:
    obj = _base(state, "payment_intent")
    obj.update(
        allowed_payment_method_types=None, amount=amount, amount_capturable=0,
        amount_details={"tip": {}}, amount_received=0, application=None,
        application_fee_amount=None, automatic_payment_methods=None, canceled_at=None,
        cancellation_reason=None, capture_method="automatic",
        client_secret=f"{obj['id']}_secret_{state.new_id('price')[6:]}",
        confirmation_method="automatic", currency=currency, customer=customer_id,
        customer_account=None, description=None, excluded_payment_method_types=None,
        hooks=None, last_payment_error=None, latest_charge=None, managed_payments=None,
        metadata={}, next_action=None, on_behalf_of=None, payment_details=None,
        payment_method=None, payment_method_configuration_details=None,
        payment_method_options={}, payment_method_types=["card"], payment_record=None,
        presentment_details=None, processing=None, receipt_email=None, review=None,
        setup_future_usage=None, shipping=None, source=None, statement_descriptor=None,
        statement_descriptor_suffix=None, status="requires_payment_method",
        transfer_data=None, transfer_group=None)
    obj.update(fields)
    return obj


def card_details(card: dict[str, Any], amount: int) -> dict[str, Any]:
    """`payment_method_details` of a card charge (only the card's own sub-object)."""
    return {"type": "card", "card": {
        "amount_authorized": amount, "authorization_code": "123456", "brand": card["brand"],
        "capture_before": None, "checks": {"address_line1_check": None,
                                           "address_postal_code_check": None,
                                           "cvc_check": "pass"},
        "country": "US", "exp_month": 12, "exp_year": 2034, "extended_authorization": None,
        "fingerprint": card["fingerprint"], "funding": "credit", "incremental_authorization":
        None, "installments": None, "last4": card["last4"], "mandate": None, "multicapture":
        None, "network": card["brand"], "network_token": {"used": False},
        "network_transaction_id": "104102978678771", "overcapture": None,
        "regulated_status": "unregulated", "three_d_secure": None, "wallet": None}}


def charge(state: EmulatorState, pi: dict[str, Any], **fields: Any) -> dict[str, Any]:
    obj = _base(state, "charge")
    obj.update(
        amount=pi["amount"], amount_captured=0, amount_refunded=0, application=None,
        application_fee=None, application_fee_amount=None, authorization_code=None,
        balance_transaction=None,
        billing_details={"address": address({}), "email": None, "name": None, "phone": None,
                         "tax_id": None},
        calculated_statement_descriptor="EMULATED STRIPE", captured=False,
        currency=pi["currency"], customer=pi["customer"], description=pi["description"],
        disputed=False, failure_balance_transaction=None, failure_code=None,
        failure_message=None, fraud_details={}, level3=None, metadata={}, on_behalf_of=None,
        outcome=None, paid=False, payment_intent=pi["id"], payment_method=None,
        payment_method_details=None, presentment_details=None, radar_options={},
        receipt_email=None, receipt_number=None, receipt_url=None, refunded=False,
        review=None, shipping=None, source=None, source_transfer=None,
        statement_descriptor=None, statement_descriptor_suffix=None, status="pending",
        transfer_data=None, transfer_group=None)
    obj.update(fields)
    return obj


def outcome(approved: bool, decline_code: str | None = None) -> dict[str, Any]:
    return {
        "advice_code": None if approved else "do_not_try_again",
        "network_advice_code": None, "network_decline_code": None,
        "network_status": "approved_by_network" if approved else "declined_by_network",
        "reason": None if approved else decline_code, "risk_level": "normal",
        "risk_score": 32, "rule": None,
        "seller_message": "Payment complete." if approved else "The bank did not return "
        "any further details with this decline.",
        "type": "authorized" if approved else "issuer_declined"}


def balance_transaction(state: EmulatorState, *, amount: int, fee: int, currency: str,
                        source: str, kind: str, category: str,
                        description: str | None) -> dict[str, Any]:
    obj = _base(state, "balance_transaction")
    del obj["livemode"]  # balance transactions carry no livemode flag
    fee_details = [] if fee == 0 else [{
        "amount": fee, "application": None, "currency": currency,
        "description": "Stripe processing fees", "type": "stripe_fee"}]
    obj.update(amount=amount, available_on=obj["created"] + 2 * 86400,
               balance_type="payments", currency=currency, description=description,
               exchange_rate=None, fee=fee, fee_details=fee_details, net=amount - fee,
               reporting_category=category, source=source, status="pending", type=kind)
    return obj


def refund(state: EmulatorState, ch: dict[str, Any], amount: int,
           **fields: Any) -> dict[str, Any]:
    """A refund; `failure_reason` and `failure_balance_transaction` appear only on failure,
    and `description`/`instructions_email` only when set, as Stripe leaves them out."""
    obj = _base(state, "refund")
    del obj["livemode"]  # refunds carry no livemode flag
    obj.update(
        amount=amount, balance_transaction=None, charge=ch["id"], currency=ch["currency"],
        customer=ch["customer"], customer_account=None,
        destination_details={"card": {"reference": None, "reference_status": "pending",
                                      "reference_type": "acquirer_reference_number",
                                      "type": "refund"}, "type": "card"},
        metadata={}, payment_intent=ch["payment_intent"],
        payment_method=ch["payment_method"], pending_reason=None, presentment_details=None,
        reason=None, receipt_number=None, source_transfer_reversal=None,
        status="succeeded", transfer_reversal=None)
    obj.update(fields)
    return obj


_EVIDENCE_KEYS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation",
    "shipping_address", "shipping_carrier", "shipping_date", "shipping_documentation",
    "shipping_tracking_number", "uncategorized_file", "uncategorized_text")


def dispute(state: EmulatorState, ch: dict[str, Any], amount: int, reason: str,
            due_by: int) -> dict[str, Any]:
    evidence: dict[str, Any] = dict.fromkeys(_EVIDENCE_KEYS)
    evidence["enhanced_evidence"] = {}
    card = (ch.get("payment_method_details") or {}).get("card") or {}
    return _base(
        state, "dispute", amount=amount, balance_transactions=[], charge=ch["id"],
        currency=ch["currency"], enhanced_eligibility_types=[], evidence=evidence,
        evidence_details={"due_by": due_by, "enhanced_eligibility": {},
                          "has_evidence": False, "past_due": False, "submission_count": 0,
                          "submission_method": "not_submitted"},
        intended_submission_method=None, is_charge_refundable=False, metadata={},
        network_reason_code="10.4", payment_intent=ch["payment_intent"],
        payment_method_details={"card": {"brand": card.get("brand", "visa"),
                                         "case_type": "chargeback",
                                         "network": card.get("network", "visa"),
                                         "network_reason_code": "10.4"},
                                "type": "card"},
        reason=reason, status="needs_response")


def tax_rate(emulator_state: EmulatorState, **fields: Any) -> dict[str, Any]:
    """`fields` may include the tax rate's own `state` (a region), hence the long name."""
    return _base(emulator_state, "tax_rate", active=True, country=None, description=None,
                 display_name="Tax", effective_percentage=None, flat_amount=None,
                 inclusive=False, jurisdiction=None, jurisdiction_level=None, metadata={},
                 percentage=0.0, rate_type="percentage", state=None, tax_type=None) | fields


def webhook_endpoint(state: EmulatorState, **fields: Any) -> dict[str, Any]:
    return _base(state, "webhook_endpoint", api_version=None, application=None,
                 description=None, enabled_events=["*"], metadata={}, status="enabled",
                 url="") | fields
