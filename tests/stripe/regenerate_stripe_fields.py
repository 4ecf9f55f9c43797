"""Regenerate `connectors/stripe/fields.json`: `python tests/stripe/regenerate_stripe_fields.py`.

The Stripe connector describes the fields of the objects it reads and the parameters it may
send, so `pipeline validate` can check a pipeline's field names. Both come from the official
`stripe` package, a test-only dependency generated from Stripe's API description for the
pinned API version: the object classes (`stripe.Dispute`...) name every field of every
object, and the params TypedDicts (`stripe.params.CustomerCreateParams`...) every parameter
of every request. Run this after upgrading the package (and the pinned version with it);
`test_stripe_fields_data.py` fails until the shipped file agrees with the installed package.

Encoding of a field's shape in the file:

    null                        a plain value
    {"fields": {NAME: SHAPE}}   an object with these fields
    {"open": true}              an object that takes any key (metadata, hashes)
    {"list": SHAPE}             a list of items of this shape
    {"object": NAME}            an object described under `objects` (kept once, by class)
    {"expandable": [NAME...]}   an id, or the object when a read expands it
    {"any_of": [SHAPE...]}      one of several objects
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import stripe
import stripe.params
from stripe._list_object import ListObject
from stripe._request_options import RequestOptions
from stripe._search_result_object import SearchResultObject
from stripe._stripe_object import StripeObject, UntypedStripeObject
from stripe_contract.annotations import field_types, package_classes
from typing_extensions import is_typeddict

from ml_connector.connectors.stripe.settings import API_VERSION
from ml_connector.connectors.stripe.spec import ENTITIES

OUTPUT = Path(__file__).resolve().parents[2] / "connectors" / "stripe" / "fields.json"

# The requests a pipeline's payload becomes, by what the connector writes (see
# connectors/stripe/customers.py, invoices.py, invoice_lines.py and credit_notes.py).
REQUESTS: dict[str, dict[str, str]] = {
    "customer": {"create": "CustomerCreateParams", "update": "CustomerUpdateParams"},
    "invoice": {"create": "InvoiceCreateParams", "update": "InvoiceUpdateParams"},
    "invoice_line": {"create": "InvoiceItemCreateParams"},
    "credit_note": {"create": "CreditNoteCreateParams", "update": "CreditNoteUpdateParams"},
}
REQUEST_OPTIONS = frozenset(RequestOptions.__annotations__)


def object_classes() -> dict[str, type]:
    """The package's class for each entity the connector reads, by Stripe's object name."""
    by_name = {getattr(cls, "OBJECT_NAME", None): cls for cls in package_classes().values()
               if isinstance(cls, type) and issubclass(cls, StripeObject)}
    return {name: by_name[name] for name in sorted(ENTITIES)}


def class_key(cls: type) -> str:
    """`Charge`, or `issuing.Dispute` for a class of a sub-package (names repeat across them)."""
    public = [part for part in cls.__module__.split(".")[1:] if not part.startswith("_")]
    return ".".join([*public, cls.__qualname__])


def is_resource(kind: Any) -> bool:
    return (isinstance(kind, type) and issubclass(kind, StripeObject)
            and "." not in kind.__qualname__)


class Generator:
    """Walks annotations into shapes; objects met on the way are described once each."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}

    def object_of(self, cls: type) -> dict[str, Any]:
        key = class_key(cls)
        if key not in self.objects:
            self.objects[key] = {}  # a cycle back to it refers to it by name
            self.objects[key] = self.fields_of(cls)
        return {"object": key}

    def fields_of(self, cls: type, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        renamed = getattr(cls, "_field_remappings", {})
        found = {renamed.get(name, name): self.shape(kind)
                 for name, kind in field_types(cls).items()
                 if name not in skip and typing.get_origin(kind) is not typing.ClassVar}
        return {"fields": dict(sorted(found.items()))}

    def shape(self, kind: Any) -> Any:
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin is typing.Union:
            return self.union(args)
        if origin in (list, typing.List):  # noqa: UP006
            return {"list": self.shape(args[0])}
        if origin in (dict, typing.Dict) or UntypedStripeObject in (origin, kind):  # noqa: UP006
            return {"open": True}
        if origin in (ListObject, SearchResultObject):
            return {"fields": {"data": {"list": self.shape(args[0])}, "has_more": None,
                               "next_page": None, "object": None, "url": None}}
        if is_typeddict(kind):
            return self.fields_of(kind)
        if is_resource(kind):
            return self.object_of(kind)
        if isinstance(kind, type) and issubclass(kind, StripeObject):
            return self.fields_of(kind)
        return None

    def union(self, arms: tuple[Any, ...]) -> Any:
        """An expandable id (`str | Charge`), an enum (`Literal[...] | str`), or optional."""
        arms = tuple(a for a in arms if a is not type(None)
                     and typing.get_origin(a) is not typing.Literal)
        resources = [a for a in arms if is_resource(a)]
        if str in arms and resources:
            return {"expandable": sorted(class_key(r) for r in resources)}
        shapes = [s for s in (self.shape(a) for a in arms if a is not str) if s is not None]
        if not shapes:
            return None
        return shapes[0] if len(shapes) == 1 else {"any_of": shapes}


def generate() -> dict[str, Any]:
    """The whole file's content, from the installed `stripe` package."""
    generator = Generator()
    entities = {name: generator.object_of(cls)["object"]
                for name, cls in object_classes().items()}
    requests = {target: {call: generator.fields_of(getattr(stripe.params, params),
                                                   REQUEST_OPTIONS)
                         for call, params in calls.items()}
                for target, calls in REQUESTS.items()}
    return {
        "about": "Generated by tests/stripe/regenerate_stripe_fields.py from the stripe "
                 "package; do not edit.",
        "stripe_package": stripe.VERSION,
        "api_version": stripe.api_version,
        "entities": entities,
        "objects": dict(sorted(generator.objects.items())),
        "requests": requests,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if stripe.api_version != API_VERSION:
        sys.exit(f"the stripe package speaks {stripe.api_version}, the connector pins "
                 f"{API_VERSION}: install the package release for the pinned version")
    args.output.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
