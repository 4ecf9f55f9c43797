"""What the connector knows about each Stripe entity, in one place per entity.

`ENTITIES` maps the engine-facing name to a `StripeEntity`: the `EntitySpec` the engine
reads, plus the API path, the search path, the events that announce a change, and the
expansions a read asks for (so a payment's record already holds the invoice it paid). The
fields of each entity's records and payloads are in `fields.py`.

Entity payloads for writes (what a pipeline renders):

customer   the parameters of `POST /v1/customers` (name, email, phone, address, metadata...)
invoice    the parameters of `POST /v1/invoices` (customer, currency, collection_method,
           due_date, description, metadata...) plus
             lines             list of invoice items: amount (minor units) or
                               unit_amount_decimal + quantity, description, metadata,
                               tax_rates, discountable, period
             total             the source's total in minor units; the draft's total must
                               equal it before the invoice is finalized
             finalize          default true; false leaves a draft
             paid_out_of_band  true marks the open invoice paid outside Stripe
             delivery          email sends the finalized invoice; payable, none do not
             amount_owed       what the source says is still owed (minor units; left
                               out, the total); an open invoice asking for more gets a
                               credit note for the part paid elsewhere (`outside_payments`)
credit_note the parameters of `POST /v1/credit_notes` (invoice, amount or lines, memo,
           reason, metadata); the connector adds `out_of_band_amount` for a paid invoice
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.plugins.protocol import EntitySpec

READ = frozenset({"read"})
READ_WRITE = frozenset({"read", "create", "update", "remove"})


@dataclass(frozen=True)
class StripeEntity:
    spec: EntitySpec
    path: str
    events: tuple[str, ...]
    search_path: str | None = None
    expand: tuple[str, ...] = ()
    list_filters: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.spec.name

    def object_path(self, object_id: str) -> str:
        return f"{self.path}/{object_id}"


def _entity(name: str, path: str, events: tuple[str, ...], *, description: str,
            match: tuple[str, ...] = ("id",), operations: frozenset[str] = READ,
            remove: tuple[str, ...] = (), search_path: str | None = None,
            expand: tuple[str, ...] = ()) -> StripeEntity:
    """Match fields other than `id` and `metadata.*` are the list endpoint's filters."""
    spec = EntitySpec(name=name, id_field="id", cursor_field="created", match_fields=match,
                      webhook_events=events, operations=operations, remove_modes=remove,
                      description=description, label=f"Stripe {name}")
    filters = frozenset(m for m in match if m != "id" and not m.startswith("metadata"))
    if search_path is not None:
        filters -= {"name", "phone", "number"}
    return StripeEntity(spec, path, events, search_path, expand, filters)


ENTITIES: dict[str, StripeEntity] = {e.name: e for e in (
    _entity("customer", "/v1/customers",
            ("customer.created", "customer.updated", "customer.deleted"),
            match=("id", "email", "name", "phone", "metadata.*"), operations=READ_WRITE,
            remove=("deactivate", "delete"), search_path="/v1/customers/search",
            description="A customer; found by metadata (search, lags ~1 min) or e-mail."),
    _entity("invoice", "/v1/invoices",
            ("invoice.created", "invoice.updated", "invoice.finalized", "invoice.paid",
             "invoice.voided", "invoice.marked_uncollectible", "invoice.deleted",
             "invoice.payment_failed", "invoice.sent"),
            match=("id", "number", "customer", "metadata.*"), operations=READ_WRITE,
            remove=("void", "delete"), search_path="/v1/invoices/search",
            description="An invoice: draft, items, total checked to the minor unit, "
                        "finalized; amounts of a finalized invoice cannot change."),
    _entity("credit_note", "/v1/credit_notes",
            ("credit_note.created", "credit_note.updated", "credit_note.voided"),
            match=("id", "invoice", "customer", "metadata.*"), operations=READ_WRITE,
            remove=("void",),
            description="A credit note lowering what an invoice asks for (or crediting a "
                        "paid one out of band); found by metadata through its list, as it "
                        "has no search; its amount cannot change, it is voided instead."),
    _entity("invoice_payment", "/v1/invoice_payments", ("invoice_payment.paid",),
            match=("id", "invoice"),
            expand=("invoice", "payment.payment_intent.latest_charge.balance_transaction"),
            description="A payment applied to an invoice (with the invoice, and the charge "
                        "and its fee, expanded)."),
    _entity("refund", "/v1/refunds",
            ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"),
            match=("id", "charge", "payment_intent"), expand=("balance_transaction", "charge"),
            description="Money returned for a charge (with the charge, for its customer); "
                        "`related` names the invoice payment and invoice it undoes."),
    _entity("dispute", "/v1/disputes",
            ("charge.dispute.created", "charge.dispute.updated",
             "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
             "charge.dispute.closed"),
            match=("id", "charge", "payment_intent"), expand=("charge",),
            description="A chargeback with its balance transactions and charge; `related` "
                        "names the invoice payment and invoice."),
    _entity("charge", "/v1/charges",
            ("charge.succeeded", "charge.failed", "charge.captured", "charge.refunded",
             "charge.updated"),
            match=("id", "customer", "payment_intent"), expand=("balance_transaction",),
            description="A card charge with its balance transaction (fee and net)."),
    _entity("payment_intent", "/v1/payment_intents",
            ("payment_intent.succeeded", "payment_intent.payment_failed",
             "payment_intent.canceled"),
            match=("id", "customer"),
            description="A payment attempt (invoice payments and direct payments); `related` "
                        "names the invoice it paid, if any."),
    _entity("balance_transaction", "/v1/balance_transactions", (),
            match=("id", "source"),
            description="Money movement on the Stripe balance: amount, fee, net."),
)}

# The entity whose change an event announces (its `data.object` is of that entity).
ENTITY_OF_EVENT = {event: e.name for e in ENTITIES.values() for event in e.events}


def entity(name: str) -> StripeEntity:
    try:
        return ENTITIES[name]
    except KeyError:
        known = ", ".join(sorted(ENTITIES))
        raise InvalidInput(f"unknown Stripe entity {name!r}; known: {known}") from None
