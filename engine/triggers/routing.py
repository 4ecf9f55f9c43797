"""Which pipelines a change of (connection, entity) concerns."""

from __future__ import annotations

from ml_connector.engine.loading import PipelineSet


def pipelines_for(pipelines: PipelineSet, connection: str, entity: str) -> list[str]:
    """Pipelines reading `entity` from `connection`, in run order (parents before children)."""
    return [name for name in pipelines.order
            if (pipelines.get(name).source.connection, pipelines.get(name).source.entity)
            == (connection, entity)]
