"""The JSON Schemas shipped with the product, read as package data.

`importlib.resources` finds them both in an installed wheel and in an editable checkout,
so the loader never depends on the current directory.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

PIPELINE_SCHEMA = "pipeline.schema.json"
PROJECT_SCHEMA = "project.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema file `name` from `ml_connector.schemas` (read once, then cached)."""
    text = files("ml_connector.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def pipeline_schema() -> dict[str, Any]:
    """The schema every pipeline file is validated against."""
    return load_schema(PIPELINE_SCHEMA)


def project_schema() -> dict[str, Any]:
    """The schema of `ml-connector.yaml`."""
    return load_schema(PROJECT_SCHEMA)
