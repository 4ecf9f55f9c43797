"""Four processes hammer one realm while the access token lives five seconds.

They share one store, as workers of one project do. The test holds when no call fails, the
token endpoint never answers `invalid_grant`, and refreshes happen once per token lifetime
for all workers together (each refresh is one rotation), not once per worker.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from pathlib import Path

import pytest
from qbo_connector_kit import MASTER_KEY, connector_for, grant_tokens, open_store, running_emulator
from qbo_hammer_worker import hammer

WORKERS = 4
TTL = 5
SECONDS = float(os.environ.get("QBO_HAMMER_SECONDS", "60"))


@pytest.mark.slow
def test_four_processes_share_rotating_tokens_without_invalid_grant(tmp_path: Path) -> None:
    with running_emulator(access_token_ttl=TTL, enforce_limits=False) as emulator:
        with open_store(tmp_path) as store:
            grant_tokens(emulator, store)
            probe = connector_for(emulator, store)
            item = probe.find("Item", "Name", "Services")[0].id
            probe.close()
        key_text = ",".join(MASTER_KEY.keys)
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(WORKERS) as pool:
            results = pool.starmap(hammer, [(emulator.url, str(tmp_path), key_text, item,
                                             SECONDS)] * WORKERS)
        stats = emulator.stats()
    assert [r["errors"] for r in results] == [[]] * WORKERS
    assert all(r["ok"] > 0 for r in results)
    assert stats.get("invalid_grant", 0) == 0
    assert stats["rotations"] == stats["refreshes"] + 1  # one per refresh, plus the grant
    margin = TTL / 5
    most = math.ceil(SECONDS / (TTL - margin)) + 2
    assert SECONDS / TTL - 1 <= stats["refreshes"] <= most
