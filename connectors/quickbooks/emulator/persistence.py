"""Saving the emulator's state to a JSON file and loading it back.

With `state_file` set, a demo company survives restarts of `ml-connector emulator
quickbooks`: objects, counters, saved `requestid` answers and OAuth grants. The file is
replaced atomically so a crash mid-write never leaves half a company behind.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from ml_connector.connectors.quickbooks.emulator import jsonio
from ml_connector.connectors.quickbooks.emulator.oauth import (
    AccessToken,
    AuthCode,
    Grant,
    OAuthServer,
    RefreshToken,
)
from ml_connector.connectors.quickbooks.emulator.store import RealmState, StoredEntity

FORMAT_VERSION = 1


def dump(realms: dict[str, RealmState], oauth: OAuthServer) -> dict[str, Any]:
    return {"version": FORMAT_VERSION,
            "realms": {rid: _realm(realm) for rid, realm in realms.items()},
            "oauth": {"grants": [asdict(g) for g in oauth.grants.values()],
                      "refresh_tokens": [asdict(t) for t in oauth.refresh_tokens.values()],
                      "access_tokens": [asdict(t) for t in oauth.access_tokens.values()],
                      "codes": [asdict(c) for c in oauth.codes.values()]}}


def _realm(realm: RealmState) -> dict[str, Any]:
    return {"home_currency": realm.home_currency, "exchange_rates": realm.exchange_rates,
            "next_id": realm.next_id, "doc_numbers": realm.doc_numbers,
            "company_name": realm.company_name,
            "request_cache": {k: list(v) for k, v in realm.request_cache.items()},
            "objects": [asdict(stored) for table in realm.objects.values()
                        for stored in table.values()]}


def save(path: str | Path, realms: dict[str, RealmState], oauth: OAuthServer) -> None:
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(jsonio.dumps(dump(realms, oauth)), encoding="utf-8")
    os.replace(temporary, target)


def load(path: str | Path, oauth: OAuthServer) -> dict[str, RealmState]:
    """Realms from a saved file (OAuth records go straight into `oauth`); {} if absent."""
    source = Path(path)
    if not source.exists():
        return {}
    data = jsonio.loads(source.read_text(encoding="utf-8"))
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{source}: unsupported emulator state version {data.get('version')}")
    saved = data["oauth"]
    oauth.grants = {g["grant_id"]: Grant(**g) for g in saved["grants"]}
    oauth.refresh_tokens = {t["token"]: RefreshToken(**t) for t in saved["refresh_tokens"]}
    oauth.access_tokens = {t["token"]: AccessToken(**t) for t in saved["access_tokens"]}
    oauth.codes = {c["code"]: AuthCode(**c) for c in saved["codes"]}
    return {rid: _load_realm(rid, raw) for rid, raw in data["realms"].items()}


def _load_realm(realm_id: str, raw: dict[str, Any]) -> RealmState:
    realm = RealmState(realm_id, home_currency=raw["home_currency"],
                       exchange_rates={k: Decimal(str(v))
                                       for k, v in raw["exchange_rates"].items()},
                       next_id=raw["next_id"], doc_numbers=raw["doc_numbers"],
                       company_name=raw["company_name"],
                       request_cache={k: (v[0], v[1]) for k, v in raw["request_cache"].items()})
    for item in raw["objects"]:
        realm.put(StoredEntity(**{**item, "updated_at": float(item["updated_at"])}))
    return realm
