"""Resolve the `stripe` package's type annotations into plain Python typing objects.

The package annotates with forward references (`"TaxId"`, `"Literal['']|List[str]"`) to
names that are often imported only under TYPE_CHECKING. Names are looked up in the class's
own module, then among every class of the package, then in `typing`; a name found nowhere
is treated as `Any`.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import pkgutil
import sys
import typing
from typing import Any

import stripe


class _Unknown:
    """Stands for a name the package imports only for type checkers; subscripts to Any."""

    def __class_getitem__(cls, item: Any) -> Any:
        return Any


@functools.cache
def package_classes() -> dict[str, type]:
    names: dict[str, type] = {}
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


class _Lookup(dict[str, Any]):
    def __init__(self, module_globals: dict[str, Any]):
        super().__init__()
        self.module_globals = module_globals

    def __missing__(self, key: str) -> Any:
        for source in (self.module_globals, vars(builtins), package_classes(), vars(typing)):
            if key in source:
                return source[key]
        return _Unknown


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The public fields a `stripe` class or params TypedDict declares, resolved."""
    module = sys.modules[cls.__module__]
    hints = typing.get_type_hints(cls, localns=_Lookup(vars(module)))
    return {name: kind for name, kind in hints.items()
            if not name.startswith("_") and name != "OBJECT_NAME"}


def is_optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind)
