"""Regenerate `openapi/spec3.subset.json` from a full copy of Stripe's published OpenAPI spec.

    python tests/stripe/stripe_contract/make_spec_subset.py PATH/TO/spec3.json

The contract tests need only the paths the connector and the emulator touch and the schemas
those paths reach, not the whole 5 MB description of every Stripe product. The subset keeps,
for every resource named in `RESOURCES`, each path under `/v1/<resource>` verbatim, plus every
component schema those paths reference (followed transitively, so the subset is a valid
OpenAPI document whose every `$ref` resolves). Prose (`description`, `summary`) is dropped:
it is most of the bytes and no check reads it.

When the connector starts calling a new resource, add it to `RESOURCES` and run this again;
a request to a path outside the subset fails the contract tests with a message saying so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("openapi") / "spec3.subset.json"

# First path segment after /v1/ of every resource the connector, the emulator or the tests
# call, and those the payouts and credit-note work reads.
RESOURCES = (
    "balance_transactions", "charges", "credit_notes", "customers", "disputes", "events",
    "invoiceitems", "invoices", "payment_intents", "payment_methods", "payouts", "refunds",
    "subscriptions", "tax_rates", "webhook_endpoints",
)
PROSE = frozenset({"description", "summary"})


def subset(spec: dict[str, Any], resources: tuple[str, ...] = RESOURCES) -> dict[str, Any]:
    """The part of `spec` that describes `resources`, with every reference it needs."""
    paths = {template: item for template, item in spec["paths"].items()
             if _resource_of(template) in resources}
    schemas = spec["components"]["schemas"]
    needed = _referenced_schemas(paths, schemas)
    return {
        "openapi": spec["openapi"],
        "info": {**_without_prose(spec["info"]),
                 "x-subset-of": "https://github.com/stripe/openapi (openapi/spec3.json)",
                 "x-subset-resources": list(resources)},
        "paths": _without_prose(paths),
        "components": {"schemas": {name: _without_prose(schemas[name])
                                   for name in sorted(needed)}},
    }


def _resource_of(template: str) -> str:
    parts = template.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "v1" else ""


def _referenced_schemas(root: Any, schemas: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    waiting = set(_refs(root))
    while waiting:
        name = waiting.pop()
        if name not in found:
            found.add(name)
            waiting |= set(_refs(schemas[name])) - found
    return found


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item.rsplit("/", 1)[-1]
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _without_prose(value: Any) -> Any:
    if isinstance(value, dict):
        # A property may itself be called "description" (customer.description): only drop
        # prose strings, never a schema.
        return {key: _without_prose(item) for key, item in value.items()
                if not (key in PROSE and isinstance(item, str))}
    if isinstance(value, list):
        return [_without_prose(item) for item in value]
    return value


def dumps(document: dict[str, Any]) -> str:
    """One path and one schema per line: small enough to keep, readable enough to review."""
    def one(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    def block(entries: dict[str, Any], indent: str) -> str:
        lines = [f"{indent}{json.dumps(key)}:{one(item)}" for key, item in entries.items()]
        return "{\n" + ",\n".join(lines) + "\n" + indent[:-1] + "}"

    head = {k: v for k, v in document.items() if k not in ("paths", "components")}
    return ("{\n" + "".join(f" {json.dumps(k)}:{one(v)},\n" for k, v in head.items())
            + f' "paths":{block(document["paths"], "  ")},\n'
            + f' "components":{{"schemas":{block(document["components"]["schemas"], "   ")}}}\n'
            + "}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="a full spec3.json from stripe/openapi")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    document = subset(json.loads(args.spec.read_text(encoding="utf-8")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(document), encoding="utf-8")
    print(f"{args.out}: {len(document['paths'])} paths, "
          f"{len(document['components']['schemas'])} schemas", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
