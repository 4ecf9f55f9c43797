"""The finance team's month, played against the sandbox: what people do in each system.

Each step is what a person would do: create a customer and an invoice in QuickBooks, edit
one, void one, record a cheque, apply a credit memo; a customer pays online in full or in
part, gets a refund, disputes a charge. `settle()` lets the connector catch up: by webhooks
through `serve`, or by polling alone. The demo, the end-to-end tests and the fault suite all
play this story, so they check the same promises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.connectors.quickbooks import pay_link
from ml_connector.engine.sync.runtime import Runtime

Settle = Callable[[], None]


@dataclass
class StoryLog:
    """What the story did, for the report and for assertions."""

    steps: list[str] = field(default_factory=list)
    paid_in_full: list[str] = field(default_factory=list)       # Stripe invoice ids
    paid_in_part: list[tuple[str, int]] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)
    disputes: dict[str, str] = field(default_factory=dict)       # dispute id -> outcome
    voided_qbo_invoices: list[str] = field(default_factory=list)
    paid_in_quickbooks: list[str] = field(default_factory=list)  # QBO invoice ids
    edited_after_finalize: list[str] = field(default_factory=list)
    other_shapes: list[str] = field(default_factory=list)      # QBO ids: bundle, inclusive
    paid_by_link: list[str] = field(default_factory=list)      # PaymentIntent ids
    mailed_by_stripe: list[str] = field(default_factory=list)  # Stripe invoice ids
    paid_by_pay_link: list[str] = field(default_factory=list)  # Stripe invoice ids
    pay_link_from: str | None = None   # where the customer found it: "stripe e-mail", ...
    merged_customers: dict[str, str] = field(default_factory=dict)  # QBO id -> into QBO id
    credited: list[tuple[str, str]] = field(default_factory=list)  # (QBO invoice, credit memo)
    sales: list[str] = field(default_factory=list)   # PaymentIntents of no QBO invoice

    def note(self, text: str) -> None:
        self.steps.append(text)


class Story:
    """Plays the steps; `settle` is called after each so changes flow before the next."""

    def __init__(self, sandbox: Sandbox, runtime: Runtime, settle: Settle,
                 echo: Callable[[str], None] = lambda _text: None):
        self.sandbox, self.runtime, self.settle, self.echo = sandbox, runtime, settle, echo
        self.log = StoryLog()
        self._qbo = runtime.connector("quickbooks")

    def steps(self) -> list[Callable[[], None]]:
        """The month in order (a progress display counts them)."""
        return [self.new_customer_and_invoice, self.invoices_of_other_shapes,
                self.edit_an_invoice_after_it_was_sent,
                self.customers_pay_online, self.a_customer_pays_through_the_pay_link,
                self.a_payment_outside_any_invoice, self.sales_billed_only_in_stripe,
                self.a_cheque_arrives_in_quickbooks, self.a_credit_memo_is_applied,
                self.a_private_note_is_added,
                self.an_invoice_is_voided, self.a_refund, self.disputes,
                self.a_duplicate_customer_is_merged]

    def play(self) -> StoryLog:
        for step in self.steps():
            step()
            self.settle()
        return self.log

    # -- QuickBooks side ----------------------------------------------------------------------

    def new_customer_and_invoice(self) -> None:
        customer = self._qbo.create("Customer", {
            "DisplayName": "Harbour & Sons Chandlery", "CompanyName": "Harbour & Sons",
            "PrimaryEmailAddr": {"Address": "accounts@harbour.example"},
            "BillAddr": {"Line1": "1 Quay Road", "City": "Portsmouth", "PostalCode": "PO1 3AA",
                         "Country": "GBR"}}, idempotency_key="story-customer-harbour")
        self._qbo.create("Invoice", {
            "CustomerRef": {"value": customer.id}, "TxnDate": "2026-11-02",
            "DueDate": "2026-12-02", "Line": [
                _line("Rope, 50 m", "120.00", self._item("Hours")),
                _line("Fitting", "80.00", self._item("Installation"))]},
            idempotency_key="story-invoice-harbour")
        self._say("a new customer and her first invoice are created in QuickBooks")

    def invoices_of_other_shapes(self) -> None:
        """A bundle with shipping and a discount, and a tax-inclusive invoice with VAT."""
        kit = self._qbo.create("Item", {"Name": "Shop window kit", "Type": "Group"},
                               idempotency_key="story-item-window-kit")
        bundle = self._qbo.create("Invoice", {
            "CustomerRef": {"value": self._customer("Freeman Sporting Goods")},
            "TxnDate": "2026-11-03", "DueDate": "2026-12-03", "Line": [
                {"DetailType": "GroupLineDetail", "Description": "Shop window kit",
                 "GroupLineDetail": {"GroupItemRef": {"value": kit.id}, "Quantity": 1,
                                     "Line": [_line("Display stand", "180.00",
                                                    self._item("Installation")),
                                              _line("Lighting set", "70.00",
                                                    self._item("Hours"))]}},
                {"DetailType": "SalesItemLineDetail", "Amount": Decimal("12.50"),
                 "SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"}}},
                {"DetailType": "DiscountLineDetail",
                 "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 5}}]},
            idempotency_key="story-invoice-bundle")
        survey = _line("Aviary survey", "125.00", self._item("Hours"))
        survey["SalesItemLineDetail"]["TaxInclusiveAmt"] = Decimal("150.00")
        inclusive = self._qbo.create("Invoice", {
            "CustomerRef": {"value": self._customer("Amy's Bird Sanctuary")},
            "TxnDate": "2026-11-04", "DueDate": "2026-12-04",
            "GlobalTaxCalculation": "TaxInclusive",
            "Line": [survey],
            "TxnTaxDetail": {"TaxLine": [{"DetailType": "TaxLineDetail", "TaxLineDetail": {
                "TaxRateRef": {"value": "9", "name": "VAT"}, "PercentBased": True,
                "TaxPercent": Decimal("20"), "NetAmountTaxable": Decimal("125.00")}}]}},
            idempotency_key="story-invoice-tax-inclusive")
        self.log.other_shapes += [bundle.id, inclusive.id]
        self._say("a bundle with shipping and a discount, and a tax-inclusive invoice, are "
                  "created in QuickBooks")

    def edit_an_invoice_after_it_was_sent(self) -> None:
        invoice = self._qbo_invoice_for("Kate Whelan")
        lines = [line for line in invoice.data["Line"]
                 if line.get("DetailType") == "SalesItemLineDetail"]
        lines.append(_line("Extra visit", "45.00", self._item("Hours")))
        self._qbo.update("Invoice", invoice.id, {"Line": lines})
        self.log.edited_after_finalize.append(invoice.id)
        self._say("an invoice already sent through Stripe gets an extra line in QuickBooks")

    def a_cheque_arrives_in_quickbooks(self) -> None:
        invoice = self._qbo_invoice_for("Back\\Slash Ltd")
        self._qbo.create("Payment", {
            "CustomerRef": invoice.data["CustomerRef"], "TotalAmt": invoice.data["Balance"],
            "PaymentRefNum": "CHQ-1042", "Line": [{"Amount": invoice.data["Balance"],
                                                   "LinkedTxn": [{"TxnId": invoice.id,
                                                                  "TxnType": "Invoice"}]}]},
            idempotency_key="story-cheque")
        self.log.paid_in_quickbooks.append(invoice.id)
        self._say("a cheque for one invoice is recorded in QuickBooks")

    def a_credit_memo_is_applied(self) -> None:
        """Two rocks were missing: a credit memo, applied to the invoice through a payment
        that nets to no cash, as QuickBooks records it."""
        invoice = self._qbo_invoice_for("Amy's Bird Sanctuary")
        customer = invoice.data["CustomerRef"]
        memo = self._qbo.create("CreditMemo", {
            "CustomerRef": customer, "TxnDate": "2026-11-12",
            "CustomerMemo": {"value": "Two rocks were missing from the delivery"},
            "Line": [_line("Rocks, 2 missing", "25.00", self._item("Rocks"))]},
            idempotency_key="story-credit-memo")
        self._qbo.create("Payment", {
            "CustomerRef": customer, "TotalAmt": 0, "TxnDate": "2026-11-12", "Line": [
                {"Amount": Decimal("25.00"),
                 "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]},
                {"Amount": Decimal("25.00"),
                 "LinkedTxn": [{"TxnId": memo.id, "TxnType": "CreditMemo"}]}]},
            idempotency_key="story-credit-applied")
        self.log.credited.append((invoice.id, memo.id))
        self._say("a credit memo for missing goods is applied to an open invoice")

    def a_private_note_is_added(self) -> None:
        """A change Stripe has no field for: the invoice is read again and left as it is."""
        invoice = self._qbo_invoice_for("Zoë Café & Bäckerei")
        self._qbo.update("Invoice", invoice.id,
                         {"PrivateNote": "Asked for a paper copy by post"})
        self._say("a bookkeeper adds a private note to an invoice in QuickBooks")

    def an_invoice_is_voided(self) -> None:
        invoice = self._qbo_invoice_for("Nguyễn Văn An")
        self._qbo.remove("Invoice", invoice.id, mode="void")
        self.log.voided_qbo_invoices.append(invoice.id)
        self._say("an invoice is voided in QuickBooks")

    def a_duplicate_customer_is_merged(self) -> None:
        """Someone made the customer twice; the duplicate, with an open invoice, is merged."""
        survivor = self._qbo.find("Customer", "DisplayName", "Harbour & Sons Chandlery")[0]
        duplicate = self._qbo.create("Customer", {
            "DisplayName": "Harbour and Sons", "CompanyName": "Harbour & Sons",
            "PrimaryEmailAddr": {"Address": "accounts@harbour.example"}},
            idempotency_key="story-customer-harbour-duplicate")
        self._qbo.create("Invoice", {
            "CustomerRef": {"value": duplicate.id}, "TxnDate": "2026-11-20",
            "DueDate": "2026-12-20", "Line": [_line("Chain, 10 m", "64.00", self._item("Hours"))]},
            idempotency_key="story-invoice-harbour-duplicate")
        self.settle()
        self.sandbox.qbo_admin("customers/merge", {"id": duplicate.id, "into": survivor.id})
        self.log.merged_customers[duplicate.id] = survivor.id
        self._say("a customer entered twice is merged in QuickBooks, with its open invoice")

    # -- Stripe side: what customers do -------------------------------------------------------

    def customers_pay_online(self) -> None:
        full = ["Acme Widgets Ltd", "株式会社サクラ (Sakura KK)", "Harbour & Sons Chandlery",
                "O'Brien Plumbing"]
        for name in full:
            invoice = self._stripe_invoice_for(name)
            self.sandbox.stripe_admin(f"invoices/{invoice['id']}/pay")
            self.log.paid_in_full.append(invoice["id"])
        partial = self._stripe_invoice_for("100% Organic Farms")
        part = partial["amount_remaining"] // 2
        self.sandbox.stripe_admin(f"invoices/{partial['id']}/pay", {"amount": part})
        self.log.paid_in_part.append((partial["id"], part))
        self._say(f"{len(full)} customers pay their invoices online, one pays half")

    def a_customer_pays_through_the_pay_link(self) -> None:
        """The customer opens the invoice's pay link and pays by card: the link Stripe's
        e-mail carried (delivery: email), or the one QuickBooks' own e-mail carries because
        the connector wrote it into the QuickBooks invoice (delivery: payable)."""
        qbo_invoice = self._qbo_invoice_for("Zoë Café & Bäckerei")
        invoice = self._stripe_invoice_for("Zoë Café & Bäckerei")
        sent = httpx.get(f"{self.sandbox.stripe_url}/_emulator/invoices/{invoice['id']}/sent",
                         timeout=30).json()["sent_at"]
        if sent:
            self.log.mailed_by_stripe.append(invoice["id"])
        link = _written_pay_link(qbo_invoice.data)
        self.log.pay_link_from = "quickbooks invoice" if link else "stripe e-mail"
        paid = httpx.post(link or invoice["hosted_invoice_url"], json={}, timeout=30)
        paid.raise_for_status()
        self.log.paid_by_pay_link.append(invoice["id"])
        self._say(f"a customer pays through the pay link in the {self.log.pay_link_from}")

    def a_payment_outside_any_invoice(self) -> None:
        """A customer pays through a payment link whose metadata names the QBO invoice."""
        qbo_invoice = self._qbo_invoice_for("Dana O'Neil-Ramírez")
        invoice = self._stripe_invoice_for("Dana O'Neil-Ramírez")
        intent = self.sandbox.stripe_post("/v1/payment_intents", {
            "amount": invoice["amount_remaining"], "currency": invoice["currency"],
            "customer": invoice["customer"], "metadata[qbo_invoice_id]": qbo_invoice.id,
            "payment_method": "pm_card_visa", "confirm": "true"})
        self.log.paid_by_link.append(intent["id"])
        self._say("one customer pays through a payment link that names the invoice")

    def sales_billed_only_in_stripe(self) -> None:
        """A Checkout sale by someone new to both systems, and a subscription renewal Stripe
        bills on its own: QuickBooks has no invoice for either."""
        buyer = self.sandbox.stripe_post("/v1/customers", {
            "name": "Marina Café", "email": "hello@marina-cafe.example"})
        sale = self.sandbox.stripe_post("/v1/payment_intents", {
            "amount": 8450, "currency": "usd", "customer": buyer["id"],
            "description": "Mooring, one week", "payment_method": "pm_card_visa",
            "confirm": "true"})
        subscriber = self._stripe_customer_of("Kate Whelan")
        renewal = self.sandbox.stripe_admin("subscriptions/renew", {
            "customer": subscriber, "currency": "usd",
            "items": [{"description": "Maintenance plan", "amount": 4900},
                      {"description": "Hours", "amount": 2250, "quantity": 1}]})
        self.log.sales += [sale["id"], renewal["invoice_payment"]["payment"]["payment_intent"]]
        self._say("a new customer buys through Checkout; a subscription renews in Stripe")

    def a_refund(self) -> None:
        charge = self._charge_of(self._stripe_invoice_for("O'Brien Plumbing"))
        refund = self.sandbox.stripe_admin(f"charges/{charge}/refund",
                                           {"amount": 2500, "reason": "requested_by_customer"})
        self.log.refunds.append(refund["id"])
        self._say("one customer gets a partial refund")

    def disputes(self) -> None:
        for name, outcome in (("Acme Widgets Ltd", "lost"), ("Harbour & Sons Chandlery", "won")):
            charge = self._charge_of(self._stripe_invoice_for(name))
            dispute = self.sandbox.stripe_admin(f"charges/{charge}/dispute")
            self.settle()
            self.sandbox.stripe_admin(f"disputes/{dispute['id']}/close", {"outcome": outcome})
            self.log.disputes[dispute["id"]] = outcome
        self._say("two charges are disputed: one dispute is lost, one is won")

    # -- helpers ------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.log.note(text)
        self.echo(text)

    def _customer(self, display_name: str) -> str:
        return self._qbo.find("Customer", "DisplayName", display_name)[0].id

    def _item(self, name: str) -> str:
        return self._qbo.find("Item", "Name", name)[0].id

    def _qbo_invoice_for(self, display_name: str) -> Any:
        customer = self._qbo.find("Customer", "DisplayName", display_name)[0]
        invoices = self._qbo.find("Invoice", "CustomerRef", customer.id)
        return max(invoices, key=lambda r: int(r.id))

    def _stripe_invoice_for(self, display_name: str) -> dict[str, Any]:
        qbo_invoice = self._qbo_invoice_for(display_name)
        link = self.runtime.store.links.get("invoices-to-stripe", qbo_invoice.id)
        if link is None:
            raise AssertionError(f"the invoice of {display_name} was never synced to Stripe")
        return self.sandbox.stripe_get(f"/v1/invoices/{link.target_id}")

    def _stripe_customer_of(self, display_name: str) -> str:
        customer = self._qbo.find("Customer", "DisplayName", display_name)[0]
        link = self.runtime.store.links.get("customers-to-stripe", customer.id)
        if link is None:
            raise AssertionError(f"{display_name} was never synced to Stripe")
        return link.target_id

    def _charge_of(self, invoice: dict[str, Any]) -> str:
        payments = self.sandbox.stripe_get("/v1/invoice_payments",
                                           {"invoice": invoice["id"], "status": "paid"})["data"]
        intent = payments[0]["payment"]["payment_intent"]
        return self.sandbox.stripe_get(f"/v1/payment_intents/{intent}")["latest_charge"]


def _written_pay_link(data: dict[str, Any]) -> str | None:
    """The pay link written into a QuickBooks invoice's memo or note, if one is."""
    memo = data.get("CustomerMemo")
    texts = [memo.get("value") if isinstance(memo, dict) else None, data.get("PrivateNote")]
    for text in texts:
        for line in str(text or "").split("\n"):
            if line.startswith(pay_link.MARK):
                return line[len(pay_link.MARK):]
    return None


def _line(description: str, amount: str, item_id: str) -> dict[str, Any]:
    money = Decimal(amount)
    return {"DetailType": "SalesItemLineDetail", "Amount": money, "Description": description,
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 1,
                                    "UnitPrice": money}}


def wait_until(condition: Callable[[], bool], timeout: float = 30.0,
               interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
