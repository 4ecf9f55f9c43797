"""The record fields an expression reads, checked against the fields the source declares.

`record.CustomrRef.value` compiles, and only fails when the first record is rendered (or,
behind `| default(none)`, never fails and quietly sends nothing). Walking the expression's
syntax tree finds each chain of attribute and constant-key accesses that starts at `record`
or at a `for_each` variable, and follows it through the entity's declared fields.

Only what is certain is reported. A chain stops being followed, silently, where the shape
is not declared (a plain value, whose methods are fine; an open object such as metadata), at
a dynamic key (`record[name]`), at a method of the record (`record.get('X')`, the way to read
a field the connector does not describe), at anything a function returns, and at names the
expression assigns itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from jinja2 import nodes

from ml_connector.engine.loading.suggest import did_you_mean
from ml_connector.engine.mapping.expressions import single_expression
from ml_connector.engine.plugins.fields import Fields, ListOf, Shape

# Filters that hand back the items of the list they get (filtered or reordered), and those
# that hand back one of them.
SAME_ITEMS = frozenset({"list", "reject", "rejectattr", "reverse", "select", "selectattr",
                        "sort", "unique"})
ONE_ITEM = frozenset({"first", "last", "random"})
# Filters naming a field of the items as a text argument: at this position, or as `attribute=`.
ATTRIBUTE_POSITION = {"selectattr": 0, "rejectattr": 0, "groupby": 0, "sum": 0}
ATTRIBUTE_KEYWORD = frozenset({"groupby", "join", "map", "max", "min", "sort", "sum", "unique"})


@dataclass(frozen=True)
class Known:
    """A value whose shape is declared, and where it sits in the entity (`Line` for a line)."""

    shape: Shape
    where: str = ""

    def inside(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name


Scope = Mapping[str, Known]


@dataclass
class _Reader:
    """One expression being read: the names it may use, and what it has found."""

    entity: str
    scope: Scope
    problems: list[tuple[int, str]] = field(default_factory=list)
    _seen: dict[int, Known | None] = field(default_factory=dict)

    def value(self, node: nodes.Node) -> Known | None:
        """The declared shape of `node`'s value; None when it is not known."""
        if id(node) not in self._seen:
            self._seen[id(node)] = self._value(node)
        return self._seen[id(node)]

    def _value(self, node: nodes.Node) -> Known | None:
        if isinstance(node, nodes.Name):
            return self.scope.get(node.name) if node.ctx == "load" else None
        if isinstance(node, nodes.Getattr):
            return self.member(self.value(node.node), node.attr, node, shown(node))
        if isinstance(node, nodes.Getitem):
            return self._item(node)
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self._filtered(node)
        return None

    def _item(self, node: nodes.Getitem) -> Known | None:
        parent, key = self.value(node.node), node.arg
        if isinstance(key, nodes.Const) and isinstance(key.value, str):
            return self.member(parent, key.value, node, shown(node))
        if parent is None or not isinstance(parent.shape, ListOf):
            return None
        if isinstance(key, nodes.Slice):
            return parent
        if isinstance(key, nodes.Const) and type(key.value) is int:
            return Known(parent.shape.item, parent.where)
        return None

    def member(self, parent: Known | None, name: str, node: nodes.Node,
               written: str | None) -> Known | None:
        """The field `name` of `parent`, reporting it when `parent` certainly has none."""
        if parent is None or not isinstance(parent.shape, Fields):
            return None
        shape = parent.shape.named.get(name)
        if shape is not None:
            return Known(shape, parent.inside(name))
        if not parent.shape.open and not hasattr(dict, name):
            what = written or f"'{name}'"
            owner = f"{self.entity} {parent.where}".rstrip()
            self.problems.append((node.lineno, f"{what} is not a field of {owner}"
                                               f"{did_you_mean(name, parent.shape.named)}"))
        return None

    def _filtered(self, node: nodes.Filter) -> Known | None:
        items = self.value(node.node)
        if items is None or not isinstance(items.shape, ListOf):
            return None
        for text in attribute_arguments(node):
            self._attribute(node, Known(items.shape.item, items.where), text)
        if node.name in SAME_ITEMS:
            return items
        if node.name in ONE_ITEM:
            return Known(items.shape.item, items.where)
        return None

    def _attribute(self, node: nodes.Filter, item: Known, text: str) -> None:
        """A dotted field path such as selectattr('SalesItemLineDetail.ItemRef') names."""
        known: Known | None = item
        for part in text.split("."):
            if known is None:
                return
            if part.isdigit():
                shape = known.shape
                known = Known(shape.item, known.where) if isinstance(shape, ListOf) else None
            else:
                known = self.member(known, part, node, f"'{part}' in {node.name}('{text}')")


def attribute_arguments(node: nodes.Filter) -> list[str]:
    """The field paths a filter call names as constant text (`selectattr('DetailType')`)."""
    found = []
    position = ATTRIBUTE_POSITION.get(node.name)
    if position is not None and position < len(node.args):
        found.append(node.args[position])
    if node.name in ATTRIBUTE_KEYWORD:
        found += [kw.value for kw in node.kwargs if kw.key == "attribute"]
    return [arg.value for arg in found
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str)]


def shown(node: nodes.Node) -> str | None:
    """A chain of accesses as the pipeline wrote it (`record.Line[0].Amount`), if it is one."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        parent = shown(node.node)
        if parent is None:
            return None
        if isinstance(node, nodes.Getattr):
            return f"{parent}.{node.attr}"
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str | int):
            return f"{parent}[{node.arg.value!r}]"
    return None


def read_fields(ast: nodes.Template, scope: Scope, entity: str
                ) -> tuple[list[tuple[int, str]], Known | None]:
    """Every field the expression reads that `scope` says is not there, as (line, message),
    and the declared shape of the expression's value when it is one `{{ expression }}`.

    `entity` names the source in messages, as its connector labels it ("Books Invoice").
    """
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    reader = _Reader(entity, {k: v for k, v in scope.items() if k not in assigned})
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        reader.value(node)
    single = single_expression(ast)
    whole = reader.value(single) if single is not None else None
    reader.problems.sort(key=lambda problem: problem[0])
    return reader.problems, whole


def element(whole: Known | None) -> Known | None:
    """What a `for_each` over a value of this shape binds its variable to."""
    if whole is None or not isinstance(whole.shape, ListOf):
        return None
    return Known(whole.shape.item, whole.where)

