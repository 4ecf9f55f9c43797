"""The fields a connector's records hold and its payloads may carry, for checks at load time.

A pipeline that reads `record.CustomrRef` or writes a field the target API refuses would
otherwise fail on the first record of a run; a connector that describes its entities lets
`pipeline validate` point at the typo instead. The description is deliberately coarse: an
object with named fields, a list whose items share a shape, or a plain value. Nothing below
a plain value is checked (text has methods, an id is just an id), and an `open` object takes
any key, for the parts of a record its users shape themselves (metadata, custom fields).

An entity that declares nothing is not checked at all, so a plugin can describe its fields
when it is ready to and never sees a false alarm before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Value:
    """A plain value (text, number, boolean, date, id), or one not described further."""


@dataclass(frozen=True)
class Fields:
    """An object's fields by name. An `open` object also takes keys not named here."""

    named: Mapping[str, Shape] = field(default_factory=dict, hash=False)
    open: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "named", MappingProxyType(dict(self.named)))

    @classmethod
    def of(cls, *values: str, open: bool = False, **nested: Shape) -> Fields:
        """`Fields.of("Id", "Name", ParentRef=REF)`: plain values by name, others by shape."""
        return cls({**{name: VALUE for name in values}, **nested}, open=open)

    def extended(self, *values: str, **nested: Shape) -> Fields:
        """These fields and more: what a kind of object adds to the fields it shares."""
        return Fields({**self.named, **{name: VALUE for name in values}, **nested}, self.open)


@dataclass(frozen=True)
class ListOf:
    """A list whose items all have the shape `item` (an invoice's lines)."""

    item: Shape


Shape = Value | Fields | ListOf

VALUE = Value()
OPEN = Fields(open=True)
"""An object that takes any key, such as metadata."""
