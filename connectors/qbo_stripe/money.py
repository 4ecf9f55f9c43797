"""The money checks of `reconcile` for a QuickBooks-Stripe project: the rules table, applied.

Registered as the `qbo-stripe` entry point of `ml_connector.reconcile_checks` (see
engine/sync/cross_checks.py). It reads each system once per entity through the project's
own connectors (every page, paced like any other read), so a project that runs on a real
company is read exactly as its pipelines read it; nothing is written.

Movements are checked both ways within the period: each Stripe movement the rule's
pipeline admits, dated in the period, must be booked once in QuickBooks with its amount and
currency; each QuickBooks entry dated in the period that names a Stripe id must have that
movement behind it (found among all of Stripe's, whatever their date, so a refund booked
today of a payment from last year is not an orphan). Balances are a state, not a
movement: every linked invoice is compared as it stands now, whatever the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ml_connector.connectors.qbo_stripe.money_rules import (
    BALANCES,
    MOVEMENTS,
    BalanceRule,
    Lookups,
    Money,
    MovementRule,
    at,
)
from ml_connector.engine.errors import AuthError, MlConnectorError
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.store.links import LinkState
from ml_connector.engine.sync.cross_checks import (
    CrossCheckReport,
    Discrepancy,
    Period,
    Progress,
    day_of,
)
from ml_connector.engine.sync.rendering import preview_renderer
from ml_connector.engine.sync.runtime import Runtime

RUN_ONE = "ml-connector pipeline run {pipeline} --only {source_id}"
REMOVE_ONE = "ml-connector pipeline remove {pipeline} {target_id}"


class MoneyCheck:
    """Applies a table of movement and balance rules; the shipped table by default."""

    name = "qbo-stripe money"

    def __init__(self, movements: Sequence[MovementRule] = MOVEMENTS,
                 balances: Sequence[BalanceRule] = BALANCES):
        self.movements, self.balances = tuple(movements), tuple(balances)

    def run(self, runtime: Runtime, period: Period,
            progress: Progress) -> list[CrossCheckReport]:
        reader = _Reader(runtime, progress)
        movements = [_Movement(rule, pipeline) for rule in self.movements
                     if (pipeline := _pipeline(runtime, rule.pipeline, rule.stripe_entity,
                                               rule.qbo_entity)) is not None]
        balances = [(rule, pipeline) for rule in self.balances
                    if (pipeline := _pipeline(runtime, rule.pipeline, rule.qbo_entity,
                                              rule.stripe_entity)) is not None]
        claims = _claims(reader, movements)
        reports = _check_movements(runtime, reader, movements, claims, period)
        reports += [_check_balances(runtime, reader, rule, pipeline)
                    for rule, pipeline in balances]
        return reports


def checks() -> MoneyCheck:
    """The entry point: the shipped rules."""
    return MoneyCheck()


def _pipeline(runtime: Runtime, name: str, source_entity: str,
              target_entity: str) -> Pipeline | None:
    """The project's pipeline a rule is about, if it has it and it joins these entities."""
    if name not in runtime.pipelines.order:
        return None
    pipeline = runtime.pipelines.get(name)
    if (pipeline.source.entity, pipeline.target.entity) != (source_entity, target_entity):
        return None
    return pipeline


class _Reader:
    """Every live record of an entity, read once per run of the checks, page by page."""

    def __init__(self, runtime: Runtime, progress: Progress):
        self.runtime, self.progress = runtime, progress
        self._read: dict[tuple[str, str], list[Record]] = {}

    def records(self, connection: str, entity: str) -> list[Record]:
        key = (connection, entity)
        if key not in self._read:
            connector, found = self.runtime.connector(connection), []
            task = f"reading {connection} {entity}"
            for page in connector.read_changes(entity, None):
                for record in page.records:
                    self.progress(task)
                    if not record.deleted:
                        found.append(record)
            self._read[key] = found
        return self._read[key]


@dataclass
class _Movement:
    rule: MovementRule
    pipeline: Pipeline

    @property
    def books_into(self) -> tuple[str, str]:
        return self.pipeline.target.connection, self.rule.qbo_entity

    def lookups(self, runtime: Runtime) -> Lookups:
        return Lookups(self.pipeline.params,
                       runtime.connector(self.pipeline.target.connection).find)


Claims = dict[tuple[str, str], dict[str, list[tuple[Record, "_Movement"]]]]


def _check_movements(runtime: Runtime, reader: _Reader, movements: list[_Movement],
                     claims: Claims, period: Period) -> list[CrossCheckReport]:
    reports = {m.rule.name: CrossCheckReport(m.rule.name) for m in movements}
    counted = {m.rule.name: _counted(runtime, reader, m) for m in movements}
    for movement in movements:
        report, rule = reports[movement.rule.name], movement.rule
        lookups = movement.lookups(runtime)
        for key, record in counted[rule.name].items():
            if not period.holds(day_of(at(record.data, rule.stripe_day))):
                continue
            report.checked += 1
            entries = [entry for entry, _claimer in claims[movement.books_into].get(key, [])]
            report.discrepancies += _stripe_side(runtime, movement, key, record, entries,
                                                 lookups)
    for books_into, by_key in claims.items():
        sharing = [m for m in movements if m.books_into == books_into]
        for key, entries in by_key.items():
            # the rule whose Stripe movement it is answers for it; else the first that claims
            owner = next((m for m in sharing if key in counted[m.rule.name]), None)
            for entry, claimer in entries:
                movement = owner or claimer
                if not period.holds(day_of(at(entry.data, movement.rule.qbo_day))):
                    continue
                reports[movement.rule.name].checked += 1
                if owner is None:
                    reports[movement.rule.name].discrepancies.append(
                        _orphan(movement, key, entry, movement.lookups(runtime)))
    return list(reports.values())


def _counted(runtime: Runtime, reader: _Reader, movement: _Movement) -> dict[str, Record]:
    """The Stripe records the pipeline books, by the id a QuickBooks entry names."""
    pipeline, rule = movement.pipeline, movement.rule
    renderer = preview_renderer(runtime, pipeline)
    found: dict[str, Record] = {}
    for record in reader.records(pipeline.source.connection, rule.stripe_entity):
        try:
            context = renderer.context(record)
            if (renderer.counts_as_deleted(record, context)
                    or not renderer.passes_filter(record, context)):
                continue
        except AuthError:
            raise
        except MlConnectorError:
            continue  # the record-by-record check reports a record it cannot render
        key = at(record.data, rule.stripe_key)
        if key:
            found[str(key)] = record
    return found


def _claims(reader: _Reader, movements: list[_Movement]) -> Claims:
    """QuickBooks entries by the Stripe id their note names, with the rule that claims it.

    Rules that book into the same entity share its entries: the first rule whose claim
    pattern matches an entry answers for it on the QuickBooks side.
    """
    found: Claims = {}
    for movement in movements:
        if movement.books_into in found:
            continue
        by_key: dict[str, list[tuple[Record, _Movement]]] = {}
        sharing = [m for m in movements if m.books_into == movement.books_into]
        for entry in reader.records(*movement.books_into):
            for candidate in sharing:
                key = candidate.rule.claimed(entry.data)
                if key is not None:
                    by_key.setdefault(key, []).append((entry, candidate))
                    break
        found[movement.books_into] = by_key
    return found


def _stripe_side(runtime: Runtime, movement: _Movement, key: str, record: Record,
                 entries: list[Record], lookups: Lookups) -> list[Discrepancy]:
    rule, pipeline = movement.rule, movement.pipeline
    stripe = rule.stripe_money(record.data, lookups)
    fix = RUN_ONE.format(pipeline=pipeline.name, source_id=record.id)
    ids = {"stripe": record.id, **({"stripe_key": key} if key != record.id else {})}
    amounts = {"stripe": str(stripe)} if stripe else {}
    if not entries:
        return [Discrepancy(rule.name, "not_booked", ids,
                            f"Stripe {rule.name} {key} has no QuickBooks {rule.qbo_entity}",
                            fix, amounts)]
    if len(entries) > 1:
        link = runtime.store.links.get(pipeline.name, record.id)
        kept = link.target_id if link is not None else entries[0].id
        extra = sorted((e.id for e in entries if e.id != kept), key=_id_order)
        return [Discrepancy(rule.name, "booked_twice",
                            {**ids, "quickbooks": ", ".join(sorted((e.id for e in entries),
                                                                   key=_id_order))},
                            f"Stripe {rule.name} {key} is booked {len(entries)} times as "
                            f"QuickBooks {rule.qbo_entity} {', '.join(e.id for e in entries)}; "
                            f"{kept} is the one to keep",
                            REMOVE_ONE.format(pipeline=pipeline.name, target_id=extra[0]),
                            amounts)]
    entry = entries[0]
    link = runtime.store.links.get(pipeline.name, record.id)
    if link is None or link.target_id != entry.id:
        # booked by hand (or by another project): take it back, then the pipeline books it
        fix = REMOVE_ONE.format(pipeline=pipeline.name, target_id=entry.id)
    booked = rule.qbo_money(entry.data, lookups)
    ids = {**ids, "quickbooks": entry.id}
    amounts = {**amounts, "quickbooks": str(booked) if booked else "none"}
    where = f"QuickBooks {rule.qbo_entity} {entry.id}"
    if stripe is None or booked is None or stripe.currency != booked.currency:
        return [Discrepancy(rule.name, "currency_differs", ids,
                            f"Stripe {rule.name} {key} is in {_currency(stripe)}, {where} "
                            f"in {_currency(booked)}", fix, amounts)]
    if stripe.amount != booked.amount:
        return [Discrepancy(rule.name, "amount_differs", ids,
                            f"Stripe {rule.name} {key} is {stripe}, {where} books {booked}",
                            fix, amounts)]
    return []


def _orphan(movement: _Movement, key: str, entry: Record, lookups: Lookups) -> Discrepancy:
    rule = movement.rule
    booked = rule.qbo_money(entry.data, lookups)
    return Discrepancy(
        rule.name, "no_stripe_counterpart", {"quickbooks": entry.id, "stripe_key": key},
        f"QuickBooks {rule.qbo_entity} {entry.id} says it books Stripe {key}, which Stripe "
        f"has no {rule.name} for",
        REMOVE_ONE.format(pipeline=movement.pipeline.name, target_id=entry.id),
        {"quickbooks": str(booked)} if booked else {})


def _check_balances(runtime: Runtime, reader: _Reader, rule: BalanceRule,
                    pipeline: Pipeline) -> CrossCheckReport:
    """Each linked document owes the same on both sides, to the cent.

    A part paid outside Stripe (a cheque) is in Stripe too, as a credit note the invoice
    pipeline keeps for it, so no allowance is made for it here.
    """
    report = CrossCheckReport(rule.name)
    qbo = {r.id: r for r in reader.records(pipeline.source.connection, rule.qbo_entity)}
    stripe = {r.id: r for r in reader.records(pipeline.target.connection, rule.stripe_entity)}
    lookups = Lookups(pipeline.params, lambda *_: [])
    for link in runtime.store.links.for_pipeline(pipeline.name):
        ours, theirs = qbo.get(link.source_id), stripe.get(link.target_id)
        if link.state is not LinkState.SYNCED or ours is None or theirs is None:
            continue  # a missing side is the record-by-record check's to report
        found = _one_balance(rule, ours, theirs, lookups, report)
        if found is not None:
            report.discrepancies.append(found)
    return report


def _one_balance(rule: BalanceRule, ours: Record, theirs: Record, lookups: Lookups,
                 report: CrossCheckReport) -> Discrepancy | None:
    voided = str(ours.data.get("PrivateNote") or "").startswith(rule.qbo_voided_note)
    status = str(theirs.data.get("status") or "")
    void = status == rule.stripe_void_status
    if voided and void:
        return None
    report.checked += 1
    ids = {"quickbooks": ours.id, "stripe": theirs.id}

    def fix(side: str) -> str:
        return rule.fixes[side].format(qbo_id=ours.id, stripe_id=theirs.id)

    if voided != void:
        which = "QuickBooks" if voided else "Stripe"
        return Discrepancy(rule.name, "void_differs", ids,
                           f"{rule.qbo_entity} {ours.id} is voided in {which} only "
                           f"(Stripe {theirs.id} is {status})",
                           fix("stripe" if voided else "quickbooks"))
    owed, remaining = rule.qbo_owed(ours.data, lookups), rule.stripe_owed(theirs.data, lookups)
    amounts = {"quickbooks": str(owed), "stripe": str(remaining)}
    if owed is None or remaining is None or owed.currency != remaining.currency:
        return Discrepancy(rule.name, "currency_differs", ids,
                           f"QuickBooks {rule.qbo_entity} {ours.id} owes in "
                           f"{_currency(owed)}, Stripe {theirs.id} in {_currency(remaining)}",
                           fix("stripe"), amounts)
    paid_here, paid_there = owed.amount == 0, status == rule.stripe_paid_status
    shown = str(owed)
    more = "quickbooks" if owed.amount > remaining.amount else "stripe"
    if paid_here != paid_there:
        return Discrepancy(rule.name, "paid_state_differs", ids,
                           f"QuickBooks {rule.qbo_entity} {ours.id} "
                           f"{'is paid' if paid_here else f'owes {shown}'}; Stripe {theirs.id} "
                           f"is {status}" + ("" if paid_there else f" and owes {remaining}"),
                           fix(more), amounts)
    if owed.amount != remaining.amount:
        return Discrepancy(rule.name, "balance_differs", ids,
                           f"QuickBooks {rule.qbo_entity} {ours.id} owes {shown}, Stripe "
                           f"{theirs.id} {remaining}",
                           fix(more), amounts)
    return None


def _currency(money: Money | None) -> str:
    return money.currency if money is not None else "no currency"


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (0, value)
