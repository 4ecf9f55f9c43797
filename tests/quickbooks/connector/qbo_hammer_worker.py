"""One worker process of the token-rotation hammer test (importable by spawned children)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def hammer(url: str, folder: str, key_text: str, item_id: str, seconds: float) -> dict[str, Any]:
    """Call the API as fast as the connector's limiter allows; count successes and errors."""
    from qbo_connector_kit import Emulator, connector_for

    from ml_connector.engine.store import Store
    from ml_connector.engine.store.master_key import MasterKey

    store = Store.open(f"sqlite:///{Path(folder) / 'state.db'}",
                       master_key=MasterKey.parse(key_text), root=Path(folder))
    connector = connector_for(Emulator(url, None), store)  # type: ignore[arg-type]
    ok, errors = 0, []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                connector.get("Item", item_id)
                ok += 1
            except Exception as exc:  # reported to the parent, which asserts there are none
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connector.close()
        store.close()
    return {"ok": ok, "errors": errors}
