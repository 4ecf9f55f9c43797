"""Resolve the `stripe` package's type annotations into plain Python typing objects.

The package's classes annotate fields with forward references to classes that are only
imported under TYPE_CHECKING, so `typing.get_type_hints` needs a namespace that knows every
class of the package; names it still cannot find are treated as `Any`.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import typing
from typing import Any

import stripe


class _Namespace(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        return typing.Any


@functools.cache
def namespace() -> _Namespace:
    names = _Namespace()
    for info in pkgutil.iter_modules(stripe.__path__):
        if not info.name.startswith("_") or info.ispkg:
            continue
        try:
            module = importlib.import_module(f"stripe.{info.name}")
        except ImportError:
            continue
        for key, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module.__name__:
                names.setdefault(key, value)
    return names


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The public fields a `stripe` object class declares, with resolved types."""
    hints = typing.get_type_hints(cls, localns=namespace())
    return {name: kind for name, kind in hints.items()
            if not name.startswith("_") and name != "OBJECT_NAME"}


def is_optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind)
