"""Repairs of one record at a time: the commands `reconcile` hands out as fixes.

`sync_only` syncs named source records now and rewrites their targets even when the source
did not change: a target edited by hand (an amount off by a cent) keeps the payload hash
of what was last written, so an ordinary run would see nothing to do. `remove_target`
takes back a target record no source stands behind (booked by hand, or booked twice).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.store.links import LinkState
from ml_connector.engine.sync.outcome import RunSummary
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime


def sync_only(runner: Runner, name: str, source_ids: list[str]) -> RunSummary:
    """Sync these records of one pipeline, writing each target whatever its payload hash."""
    runtime = runner.runtime
    pipeline = runtime.pipelines.get(name)
    summary = RunSummary(pipeline.name, runner.run_id)
    for source_id in dict.fromkeys(source_ids):
        link = runtime.store.links.get(pipeline.name, source_id)
        if link is not None and link.state is LinkState.SYNCED and link.payload_hash:
            # forget what was last written, so the payload is compared with nothing: the
            # update goes out, and brings a target edited by hand back in step
            runtime.store.links.put(replace(link, payload_hash=None))
        summary.add(runner.sync_id(pipeline.name, source_id))
    return summary


def remove_target(runtime: Runtime, name: str, target_id: str) -> dict[str, Any]:
    """Void (or else delete) a target of the pipeline that has no live source record."""
    pipeline = runtime.pipelines.get(name)
    connection, entity = pipeline.target.connection, pipeline.target.entity
    spec = runtime.plugin_for(connection).entities().get(entity)
    if spec is None or "remove" not in spec.operations or not spec.remove_modes:
        raise InvalidInput(f"{entity} of connection {connection} cannot be removed")
    target = runtime.connector(connection)
    if target.get(entity, target_id) is None:
        raise InvalidInput(f"{entity} {target_id} does not exist in {connection}")
    link = runtime.store.links.by_target(connection, entity, target_id)
    if link is not None and link.pipeline == pipeline.name and link.state is LinkState.SYNCED:
        source = runtime.connector(pipeline.source.connection).get(pipeline.source.entity,
                                                                   link.source_id)
        if source is not None and not source.deleted:
            raise InvalidInput(
                f"{entity} {target_id} is {pipeline.name}'s target of {link.source_id}, "
                f"which still exists: `ml-connector pipeline run {pipeline.name} --only "
                f"{link.source_id}` brings it in step instead")
    mode = "void" if "void" in spec.remove_modes else spec.remove_modes[0]
    target.remove(entity, target_id, mode=mode)
    if link is not None and link.pipeline == pipeline.name:
        runtime.store.links.put(replace(link, state=LinkState.REMOVED, payload_hash=None))
    past = {"void": "voided", "delete": "deleted", "deactivate": "deactivated"}
    return {"pipeline": pipeline.name, "entity": entity, "target_id": target_id,
            "mode": past.get(mode, mode)}
