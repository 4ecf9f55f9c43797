"""The subset of Stripe's OpenAPI spec kept in the repository is whole and up to date."""

from __future__ import annotations

import json

from stripe_contract.make_spec_subset import OUT, RESOURCES, _refs, dumps
from stripe_contract.shapes import RESOURCES as CHECKED_OBJECTS
from stripe_contract.spec import resource_schema

# Objects of the current API that the 2023 spec does not describe yet.
NEWER_THAN_SPEC = frozenset({"invoice_payment"})


def _subset() -> dict:
    return json.loads(OUT.read_text(encoding="utf-8"))


def test_every_reference_in_the_subset_resolves() -> None:
    document = _subset()
    schemas = document["components"]["schemas"]
    dangling = sorted({name for name in _refs(document) if name not in schemas})
    assert dangling == []


def test_the_subset_covers_the_resources_the_generator_lists() -> None:
    document = _subset()
    assert document["info"]["x-subset-resources"] == list(RESOURCES)
    covered = {template.split("/")[2] for template in document["paths"]}
    assert covered == set(RESOURCES)


def test_every_object_the_contract_checks_has_its_schema() -> None:
    missing = sorted(name for name in CHECKED_OBJECTS
                     if name not in NEWER_THAN_SPEC and resource_schema(name) is None)
    assert missing == []


def test_the_file_is_written_as_the_generator_writes_it() -> None:
    assert OUT.read_text(encoding="utf-8") == dumps(_subset())
