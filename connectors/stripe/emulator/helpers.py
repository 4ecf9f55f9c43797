"""`/_emulator/...`: what customers, banks and operators do, driven by tests.

These routes are the emulator's own (Stripe has no such API). They take and return JSON,
need no API key, and the events they cause carry `request.id = null`, as events Stripe
raises on its own do.

    POST /_emulator/invoices/{id}/pay          {"amount"?, "payment_method"?}
    GET|POST /_emulator/hosted_invoices/{token}  an invoice's `hosted_invoice_url`: GET
                                               shows it, POST pays what remains by card
    GET  /_emulator/invoices/{id}/sent         when the invoice was mailed (`send`)
    POST /_emulator/subscriptions/renew        {"customer", "items": [{"description",
                                                "amount", "quantity"?}], "currency"?,
                                                "subscription"?, "billing_reason"?,
                                                "payment_method"?}
    POST /_emulator/charges/{id}/refund        {"amount"?, "reason"?}
    POST /_emulator/refunds/{id}/fail          {"reason"?}
    POST /_emulator/charges/{id}/dispute       {"amount"?, "reason"?}
    POST /_emulator/disputes/{id}/close        {"outcome": "won" | "lost"}
    POST /_emulator/webhook_endpoints          {"url", "secret"?, "enabled_events"?}
    POST /_emulator/webhook_endpoints/{id}/roll_secret   {"old_valid_for"?: seconds}
    POST /_emulator/webhooks/chaos             {"duplicate"?, "reorder"?, "delay"?,
                                                "delay_rate"?}
    POST /_emulator/webhooks/flush             {"timeout"?}
    GET  /_emulator/webhooks/deliveries
    POST|GET|DELETE /_emulator/faults          {"faults": [...], "rate_limits"?: bool|{...}}
    GET|POST /_emulator/faults/counts          faults injected so far (POST: and restart at 0)
    POST /_emulator/clock                      {"advance": seconds}
    GET|DELETE /_emulator/requests
    POST /_emulator/reset, POST /_emulator/seed
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ml_connector.connectors.stripe.emulator import disputes, refunds, subscriptions
from ml_connector.connectors.stripe.emulator.dispatch import request_id
from ml_connector.connectors.stripe.emulator.errors import StripeError
from ml_connector.connectors.stripe.emulator.faults import Fault
from ml_connector.connectors.stripe.emulator.invoice_lifecycle import (
    by_hosted_token,
    pay_online,
)
from ml_connector.connectors.stripe.emulator.seed import seed_account
from ml_connector.connectors.stripe.emulator.service import StripeEmulator
from ml_connector.connectors.stripe.emulator.webhook_endpoints import register

Action = Callable[[StripeEmulator, dict[str, str], dict[str, Any]], Any]


def _customer_pays(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    state = emu.state
    inv = state.get("invoice", path["id"])
    if inv["status"] not in ("open", "uncollectible"):
        raise StripeError(400, f"Invoice {inv['id']} is {inv['status']}; it cannot be paid.")
    amount = int(body.get("amount") or inv["amount_remaining"])
    payment = pay_online(state, inv, amount, body.get("payment_method", "pm_card_visa"))
    return {"invoice": inv, "invoice_payment": payment}


def _hosted_page(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    """What the customer sees on the pay link: the invoice, and what is left to pay."""
    inv = by_hosted_token(emu.state, path["token"])
    return {key: inv[key] for key in ("id", "number", "status", "currency", "amount_due",
                                      "amount_remaining", "custom_fields")}


def _hosted_pay(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    """The customer pays on the pay link: by card, in full unless an amount is given."""
    inv = by_hosted_token(emu.state, path["token"])
    return _customer_pays(emu, {"id": inv["id"]}, body)


def _sent(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    emu.state.get("invoice", path["id"])
    return {"sent_at": list(emu.state.private_of(path["id"]).get("sent_at") or [])}


def _renew(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    """A subscription bills its next period and charges the customer's card."""
    if not body.get("customer"):
        raise StripeError(400, "customer is required")
    return subscriptions.renew(
        emu.state, str(body["customer"]), list(body.get("items") or []),
        currency=str(body.get("currency", "usd")), subscription=body.get("subscription"),
        billing_reason=str(body.get("billing_reason", "subscription_cycle")),
        payment_method=str(body.get("payment_method", "pm_card_visa")))


def _refund(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    ch = emu.state.get("charge", path["id"])
    amount = body.get("amount")
    return refunds.refund_charge(emu.state, ch, None if amount is None else int(amount),
                                 body.get("reason"))


def _fail_refund(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    ref = emu.state.get("refund", path["id"])
    return refunds.fail_refund(emu.state, ref, body.get("reason", "lost_or_stolen_card"))


def _dispute(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    ch = emu.state.get("charge", path["id"])
    amount = body.get("amount")
    return disputes.open_dispute(emu.state, ch, None if amount is None else int(amount),
                                 body.get("reason", "fraudulent"))


def _close_dispute(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    dp = emu.state.get("dispute", path["id"])
    return disputes.close_dispute(emu.state, dp, str(body.get("outcome")))


def _register(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    return register(emu.state, body["url"], list(body.get("enabled_events", ["*"])),
                    body.get("secret"), api_version=emu.options.api_version)


def _roll(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    emu.state.get("webhook_endpoint", path["id"])
    secret = emu.webhooks.roll_secret(path["id"], float(body.get("old_valid_for", 86400)))
    return {"secret": secret}


def _chaos(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    try:
        delay, rate = float(body.get("delay", 0)), float(body.get("delay_rate", 0))
    except (TypeError, ValueError):
        raise StripeError(400, "delay and delay_rate must be numbers") from None
    if delay < 0 or not 0 <= rate <= 1:
        raise StripeError(400, "delay must not be negative; delay_rate is between 0 and 1")
    chaos = emu.webhooks.chaos
    chaos.duplicate = bool(body.get("duplicate", False))
    chaos.reorder = bool(body.get("reorder", False))
    chaos.delay, chaos.delay_rate = delay, rate
    return vars(chaos)


def _fault_counts(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    """Faults injected so far, by kind, API and webhooks together; then start again at 0."""
    counts = _counted(emu)
    emu.faults.reset_counts()
    emu.webhooks.reset_counts()
    return {"counts": counts}


def _counted(emu: StripeEmulator) -> dict[str, int]:
    return {**emu.faults.counted(), **emu.webhooks.counted()}


def _faults(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    try:
        faults = [Fault.from_json(f) for f in body.get("faults", [])]
    except (TypeError, ValueError) as exc:
        raise StripeError(400, str(exc)) from None
    limits = body.get("rate_limits")
    if limits is not None:
        try:
            emu.rate_limits.configure(bool(limits),
                                      limits if isinstance(limits, dict) else None)
        except (TypeError, ValueError) as exc:
            raise StripeError(400, str(exc)) from None
    emu.faults.add(faults)
    return {"faults": emu.faults.describe(), "rate_limits": emu.rate_limits.enabled}


def _clear_faults(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    emu.faults.set([])
    emu.rate_limits.configure(emu.options.rate_limits)
    return {"faults": [], "rate_limits": emu.rate_limits.enabled}


def _clock(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    return {"now": emu.state.clock.advance(float(body.get("advance", 0)))}


def _seed(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    return seed_account(emu.state)


def _reset(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    emu.reset()
    return {"reset": True}


def _clear_requests(emu: StripeEmulator, path: dict[str, str], body: dict[str, Any]) -> Any:
    emu.state.requests.clear()
    return {"requests": []}


def _action(emu: StripeEmulator, action: Action) -> Callable[[Request], Any]:
    async def run(request: Request) -> Response:
        raw = await request.body()
        body = await request.json() if raw else {}
        state = emu.state
        try:
            with state.lock:
                result = action(emu, dict(request.path_params), body)
                state.save()
        except StripeError as exc:
            return JSONResponse(exc.body(request_id(), state.livemode), exc.status)
        return JSONResponse(result)

    return run


def _reader(emu: StripeEmulator, read: Callable[[StripeEmulator], Any]) -> Callable[..., Any]:
    async def run(request: Request) -> Response:
        with emu.state.lock:
            return JSONResponse(read(emu))

    return run


def _path_reader(emu: StripeEmulator, read: Action) -> Callable[..., Any]:
    async def run(request: Request) -> Response:
        try:
            with emu.state.lock:
                return JSONResponse(read(emu, dict(request.path_params), {}))
        except StripeError as exc:
            return JSONResponse(exc.body(request_id(), emu.state.livemode), exc.status)

    return run


def _flush(emu: StripeEmulator) -> Callable[[Request], Any]:
    async def run(request: Request) -> Response:
        raw = await request.body()
        timeout = float((await request.json() if raw else {}).get("timeout", 10))
        idle = await run_in_threadpool(emu.webhooks.wait_idle, timeout)
        return JSONResponse({"idle": idle})

    return run


def routes(emu: StripeEmulator) -> list[Route]:
    actions: list[tuple[str, str, Action]] = [
        ("/_emulator/invoices/{id}/pay", "POST", _customer_pays),
        ("/_emulator/hosted_invoices/{token}", "POST", _hosted_pay),
        ("/_emulator/subscriptions/renew", "POST", _renew),
        ("/_emulator/charges/{id}/refund", "POST", _refund),
        ("/_emulator/refunds/{id}/fail", "POST", _fail_refund),
        ("/_emulator/charges/{id}/dispute", "POST", _dispute),
        ("/_emulator/disputes/{id}/close", "POST", _close_dispute),
        ("/_emulator/webhook_endpoints", "POST", _register),
        ("/_emulator/webhook_endpoints/{id}/roll_secret", "POST", _roll),
        ("/_emulator/webhooks/chaos", "POST", _chaos),
        ("/_emulator/faults", "POST", _faults),
        ("/_emulator/faults", "DELETE", _clear_faults),
        ("/_emulator/faults/counts", "POST", _fault_counts),
        ("/_emulator/clock", "POST", _clock),
        ("/_emulator/seed", "POST", _seed),
        ("/_emulator/reset", "POST", _reset),
        ("/_emulator/requests", "DELETE", _clear_requests),
    ]
    found = [Route(path, _action(emu, action), methods=[method])
             for path, method, action in actions]
    found += [
        Route("/_emulator/webhooks/flush", _flush(emu), methods=["POST"]),
        Route("/_emulator/hosted_invoices/{token}", _path_reader(emu, _hosted_page),
              methods=["GET"]),
        Route("/_emulator/invoices/{id}/sent", _path_reader(emu, _sent), methods=["GET"]),
        Route("/_emulator/webhooks/deliveries",
              _reader(emu, lambda e: {"deliveries": list(e.webhooks.attempts)}),
              methods=["GET"]),
        Route("/_emulator/faults", _reader(emu, lambda e: {"faults": e.faults.describe()}),
              methods=["GET"]),
        Route("/_emulator/faults/counts", _reader(emu, lambda e: {"counts": _counted(e)}),
              methods=["GET"]),
        Route("/_emulator/requests",
              _reader(emu, lambda e: {"requests": list(e.state.requests)}), methods=["GET"]),
    ]
    return found
