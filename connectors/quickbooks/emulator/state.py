"""The emulator's whole state, reachable from the app as `app.state.emulator`.

One re-entrant lock guards it: request handlers do their reads and writes under it (they
never await while holding it), and tests or the admin API can inspect it from other
threads. Saved `requestid` answers live per realm, as QBO scopes request ids per company.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, OrderedDict
from typing import Any

from ml_connector.connectors.quickbooks.emulator import persistence
from ml_connector.connectors.quickbooks.emulator.clock import Clock
from ml_connector.connectors.quickbooks.emulator.entities import rules_for
from ml_connector.connectors.quickbooks.emulator.faults import FaultInjector
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.limits import RealmLimits
from ml_connector.connectors.quickbooks.emulator.oauth import OAuthServer
from ml_connector.connectors.quickbooks.emulator.options import EmulatorOptions
from ml_connector.connectors.quickbooks.emulator.rules.base import ReadView
from ml_connector.connectors.quickbooks.emulator.seed import bootstrap, load_sample_company
from ml_connector.connectors.quickbooks.emulator.store import RealmState
from ml_connector.connectors.quickbooks.emulator.webhooks import WebhookDispatcher

REQUEST_CACHE_SIZE = 50_000


class EmulatorState:
    def __init__(self, options: EmulatorOptions):
        self.options = options
        self.clock = Clock(options.utc_offset_hours)
        self.lock = threading.RLock()
        self.oauth = OAuthServer(options, self.clock)
        self.faults = FaultInjector(options.faults)
        self.limits = RealmLimits(options)
        self.webhooks = WebhookDispatcher(options, self.faults)
        self.requests: Counter[str] = Counter()
        self.realms: dict[str, RealmState] = {}
        if options.state_file:
            self.realms = persistence.load(options.state_file, self.oauth)

    def realm(self, realm_id: str) -> RealmState:
        """The company with this id, created (with sandbox defaults) on first use."""
        with self.lock:
            realm = self.realms.get(realm_id)
            if realm is None:
                realm = RealmState(realm_id, company_name=f"Sandbox Company {realm_id[-4:]}")
                ledger = Ledger(realm, self.clock)
                bootstrap(realm, ledger)
                if self.options.seed:
                    load_sample_company(realm, ledger)
                self.realms[realm_id] = realm
            return realm

    def ledger(self, realm_id: str) -> Ledger:
        return Ledger(self.realm(realm_id), self.clock)

    def commit(self, ledger: Ledger) -> None:
        """After a successful request: announce its changes and save the state."""
        self.webhooks.publish(ledger.events)
        if ledger.events:
            self.persist()

    def persist(self) -> None:
        if self.options.state_file:
            with self.lock:
                persistence.save(self.options.state_file, self.realms, self.oauth)

    def remember(self, realm: RealmState, request_id: str, answer: tuple[int, str]) -> None:
        cache = realm.request_cache
        if not isinstance(cache, OrderedDict):
            realm.request_cache = cache = OrderedDict(cache)
        cache[request_id] = answer
        while len(cache) > REQUEST_CACHE_SIZE:
            cache.popitem(last=False)

    def reset(self) -> None:
        with self.lock:
            self.realms.clear()
            self.clock.reset()
            self.limits = RealmLimits(self.options)
            self.oauth = OAuthServer(self.options, self.clock)
            self.faults.configure({})
            self.faults.reset_counts()
            self.webhooks.reset()
            self.requests.clear()
            self.persist()

    def snapshot(self) -> dict[str, Any]:
        """Everything a test may want to assert on, as plain JSON-able data."""
        with self.lock:
            return {"realms": {rid: self._realm_snapshot(realm)
                               for rid, realm in self.realms.items()},
                    "oauth": dict(self.oauth.stats), "faults": self.faults.describe(),
                    "fault_counts": self.faults.counted(),
                    "limits": self.limits.describe(), "requests": dict(self.requests),
                    "webhooks": {"url": self.webhooks.url, "format": self.webhooks.format,
                                 "deliveries": [d.describe()
                                                for d in list(self.webhooks.deliveries)]}}

    @staticmethod
    def _realm_snapshot(realm: RealmState) -> dict[str, Any]:
        view, entities = ReadView(realm), {}
        for name, table in realm.objects.items():
            rules = rules_for(name)
            assert rules is not None
            entities[name] = [dict(rules.render(view, s), _deleted=s.deleted)
                              for s in table.values()]
        return {"entities": entities, "request_ids": len(realm.request_cache)}


def transaction_id() -> str:
    """A value for the `intuit_tid` header, which support tickets quote."""
    return str(uuid.uuid4())
