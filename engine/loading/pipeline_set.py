"""A set of pipelines loaded together, and the checks that need all of them at once:
unique names, known dependencies, no dependency cycle."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ml_connector.engine.diagnostics import Diagnostic
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.loading.graph import closure, find_cycles, topological_order
from ml_connector.engine.loading.links import (
    linked_pipelines,
    pipeline_expressions,
    pulled_on_demand,
)
from ml_connector.engine.loading.pipeline_loader import PipelineDraft
from ml_connector.engine.loading.suggest import did_you_mean, one_of
from ml_connector.engine.model.pipeline import Pipeline


class UnknownPipeline(InvalidInput, KeyError):
    """No pipeline has this name; the message suggests the closest one."""

    def __str__(self) -> str:
        return str(self.args[0])


class PipelineSet:
    """Loaded pipelines by name, and the order they run in (dependencies first, then by name)."""

    def __init__(self, pipelines: Mapping[str, Pipeline]):
        self.pipelines: dict[str, Pipeline] = dict(pipelines)
        self._graph = {name: tuple(p.depends_on) for name, p in self.pipelines.items()}
        self.order: list[str] = topological_order(self._graph)

    def __iter__(self) -> Iterator[Pipeline]:
        """Pipelines in run order."""
        return (self.pipelines[name] for name in self.order)

    def __len__(self) -> int:
        return len(self.pipelines)

    def __contains__(self, name: object) -> bool:
        return name in self.pipelines

    def get(self, name: str) -> Pipeline:
        """The pipeline `name`; an unknown name raises UnknownPipeline with a suggestion."""
        found = self.pipelines.get(name)
        if found is None:
            hint = did_you_mean(name, self.pipelines) or f"; known: {one_of(self.pipelines)}"
            raise UnknownPipeline(f"unknown pipeline '{name}'{hint}")
        return found

    def must_finish_first(self, name: str) -> tuple[str, ...]:
        """The dependencies of `name` that must finish before it starts in one run of many.

        Those it reaches only through `link()` are synced on demand, record by record, so
        it can run alongside them (see `pulled_on_demand`).
        """
        pipeline = self.get(name)
        pulled = pulled_on_demand(pipeline)
        return tuple(dep for dep in pipeline.depends_on if dep not in pulled)

    def dependencies_closure(self, name: str) -> list[str]:
        """`name` and everything it depends on, directly or not, in run order (`name` last)."""
        self.get(name)
        needed = closure(self._graph, name)
        return [n for n in self.order if n in needed]


def check_set(drafts: Sequence[PipelineDraft]) -> list[Diagnostic]:
    """Problems only visible across files: duplicate names, unknown dependencies, cycles."""
    problems: list[Diagnostic] = []
    first: dict[str, PipelineDraft] = {}
    for draft in drafts:
        if draft.name is None:
            continue
        if draft.name in first:
            where = first[draft.name].doc.locate(("name",))
            problems.append(Diagnostic(draft.doc.locate(("name",)),
                                       f"duplicate pipeline name '{draft.name}' "
                                       f"(also defined at {where})"))
            continue
        first[draft.name] = draft
    problems += _unknown_dependencies(first)
    problems += _unknown_links(first)
    problems += _links_back(first)
    problems += _cycles(first)
    return problems


def _unknown_dependencies(drafts: Mapping[str, PipelineDraft]) -> list[Diagnostic]:
    problems = []
    for draft in drafts.values():
        for dep, where in draft.depends_on:
            if dep not in drafts:
                hint = did_you_mean(dep, drafts) or f"; loaded pipelines: {one_of(drafts)}"
                problems.append(Diagnostic(where, f"depends_on: unknown pipeline '{dep}'{hint}"))
    return problems


def _unknown_links(drafts: Mapping[str, PipelineDraft]) -> list[Diagnostic]:
    problems = []
    for draft in drafts.values():
        if draft.pipeline is None:
            continue
        for expression in pipeline_expressions(draft.pipeline):
            for name in linked_pipelines(expression):
                if name not in drafts:
                    hint = did_you_mean(name, drafts) or f"; loaded pipelines: {one_of(drafts)}"
                    problems.append(Diagnostic(expression.location,
                                               f"link to unknown pipeline '{name}'{hint}"))
    return problems


def _links_back(drafts: Mapping[str, PipelineDraft]) -> list[Diagnostic]:
    """`link_back` names a loaded pipeline that syncs the same two entities the other way."""
    problems = []
    for draft in drafts.values():
        pipeline = draft.pipeline
        if pipeline is None or pipeline.link_back is None:
            continue
        where = draft.doc.locate(("link_back",))
        other = drafts.get(pipeline.link_back)
        if other is None:
            hint = did_you_mean(pipeline.link_back, drafts) or \
                f"; loaded pipelines: {one_of(drafts)}"
            problems.append(Diagnostic(where, "link_back: unknown pipeline "
                                              f"'{pipeline.link_back}'{hint}"))
        elif other.pipeline is not None and (other.pipeline.source != pipeline.target
                                             or other.pipeline.target != pipeline.source):
            theirs = other.pipeline
            problems.append(Diagnostic(where, (
                f"link_back: '{theirs.name}' syncs {theirs.source.connection} "
                f"{theirs.source.entity} to {theirs.target.connection} "
                f"{theirs.target.entity}; expected a pipeline from "
                f"{pipeline.target.connection} {pipeline.target.entity} to "
                f"{pipeline.source.connection} {pipeline.source.entity}")))
    return problems


def _cycles(drafts: Mapping[str, PipelineDraft]) -> list[Diagnostic]:
    """Each cycle once, at the depends_on entry of its first pipeline that starts it."""
    graph = {name: [dep for dep, _ in d.depends_on] for name, d in drafts.items()}
    problems = []
    for cycle in find_cycles(graph):
        start, following = cycle[0], cycle[1]
        where = next(loc for dep, loc in drafts[start].depends_on if dep == following)
        problems.append(Diagnostic(where, f"dependency cycle: {' -> '.join(cycle)}"))
    return problems
