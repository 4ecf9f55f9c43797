"""The `depends_on` graph: a stable run order, and the cycles that make one impossible.

Order is topological with ties broken by name, so the same files always run in the same
order and a plan or log can be compared between runs.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

Graph = Mapping[str, Sequence[str]]


def topological_order(graph: Graph) -> list[str]:
    """Every name whose dependencies can all run first, dependencies before dependents.

    Dependencies missing from the graph are ignored; names on a cycle are left out (the
    loader reports the cycle).
    """
    waiting = {name: {d for d in deps if d in graph} for name, deps in graph.items()}
    dependents: dict[str, list[str]] = {name: [] for name in graph}
    for name, deps in waiting.items():
        for dep in deps:
            dependents[dep].append(name)
    ready = [name for name, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for dependent in dependents[name]:
            waiting[dependent].discard(name)
            if not waiting[dependent]:
                heapq.heappush(ready, dependent)
    return order


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle per strongly connected knot, as `[a, b, a]`, starting at its smallest name."""
    cycles = []
    for component in _strong_components(graph):
        start = min(component)
        if len(component) > 1 or start in graph[start]:
            cycles.append(_cycle_through(graph, start, component))
    return sorted(cycles)


def _strong_components(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm; pipeline sets are small, so recursion depth is no concern."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for dep in sorted(d for d in graph[name] if d in graph):
            if dep not in index:
                visit(dep)
                low[name] = min(low[name], low[dep])
            elif dep in on_stack:
                low[name] = min(low[name], index[dep])
        if low[name] == index[name]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == name:
                    break
            found.append(component)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def _cycle_through(graph: Graph, start: str, component: set[str]) -> list[str]:
    """The shortest path from `start` back to itself inside `component` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for name in frontier:
            for dep in sorted(d for d in graph[name] if d in component):
                if dep == start:
                    return [*_walk_back(previous, name, start), start]
                if dep not in previous:
                    previous[dep] = name
                    following.append(dep)
        frontier = following
    return [start, start]


def _walk_back(previous: Mapping[str, str], end: str, start: str) -> list[str]:
    path = [end]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def closure(graph: Graph, name: str) -> set[str]:
    """`name` and everything it depends on, directly or not."""
    seen = {name}
    todo = [name]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in seen and dep in graph:
                seen.add(dep)
                todo.append(dep)
    return seen
