"""The shipped JSON Schemas are readable as package data, valid, and agree with the model."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from ml_connector.engine.loading.schemas import pipeline_schema, project_schema
from ml_connector.engine.model.pipeline import OnImmutableChange, OnSourceDelete


def test_schemas_are_valid_draft_2020_12() -> None:
    for schema in (pipeline_schema(), project_schema()):
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_policy_values_match_the_model_enums() -> None:
    policies = pipeline_schema()["properties"]["policies"]["properties"]
    assert policies["on_source_delete"]["enum"] == [v.value for v in OnSourceDelete]
    assert policies["on_immutable_change"]["enum"] == [v.value for v in OnImmutableChange]


def test_required_fields_of_a_pipeline() -> None:
    assert set(pipeline_schema()["required"]) == {"name", "source", "target", "mapping"}
