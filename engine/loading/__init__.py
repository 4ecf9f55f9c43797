"""Loading the project file and pipeline files into validated models.

Every problem in every file is collected and raised at once as `PipelineInvalid`, each
diagnostic reading `path/to/file.yaml:LINE:COL: message`, so one run shows the user all
there is to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ml_connector.engine.diagnostics import Diagnostic
from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.loading.connections import PluginRegistry
from ml_connector.engine.loading.pipeline_checks import Scope
from ml_connector.engine.loading.pipeline_loader import PipelineDraft, load_pipeline_file
from ml_connector.engine.loading.pipeline_set import PipelineSet, UnknownPipeline, check_set
from ml_connector.engine.loading.project_loader import (
    default_project,
    find_project_file,
    read_project,
)
from ml_connector.engine.loading.references import resolve_references
from ml_connector.engine.model.project import PROJECT_FILE, Project

__all__ = [
    "PipelineSet",
    "UnknownPipeline",
    "load_pipelines",
    "load_project",
    "load_workspace",
    "pipeline_files",
    "resolve_references",
]

PIPELINE_SUFFIXES = (".yaml", ".yml")


def load_project(path: Path | None = None, *, registry: PluginRegistry) -> Project:
    """The project at `path` (a file, or a folder holding `ml-connector.yaml`), or the
    nearest `ml-connector.yaml` upward from the current folder when `path` is None; without
    any project file, the defaults."""
    project, problems = _project(path, registry)
    if problems:
        raise PipelineInvalid(problems)
    return project


def load_pipelines(
    paths: Sequence[Path], *, project: Project | None, registry: PluginRegistry
) -> PipelineSet:
    """Load pipeline files (folders contribute their *.yaml files) checked against `project`
    (the defaults when None); raise PipelineInvalid with every problem in every file."""
    project = project or default_project(Path.cwd(), registry)
    pipelines, problems = _pipelines(paths, project, registry)
    if problems:
        raise PipelineInvalid(problems)
    return pipelines


def load_workspace(
    path: Path | None = None,
    *,
    registry: PluginRegistry,
    pipeline_paths: Sequence[Path] | None = None,
    with_project_pipelines: bool = False,
) -> tuple[Project, PipelineSet]:
    """Load the project and its pipelines (or `pipeline_paths`), reporting the problems of
    both kinds of file together.

    With `with_project_pipelines`, `pipeline_paths` are loaded together with the project's
    own pipelines, so what they depend on and link to is there: a file of the project is
    loaded once, and a project pipeline of the same name as a given file's is left out (the
    file is the version being checked, wherever it sits).
    """
    project, problems = _project(path, registry)
    paths = project.pipeline_dirs if pipeline_paths is None else pipeline_paths
    others = project.pipeline_dirs if with_project_pipelines else ()
    pipelines, more = _pipelines(paths, project, registry, others)
    if problems or more:
        raise PipelineInvalid([*problems, *more])
    return project, pipelines


def pipeline_files(paths: Sequence[Path]) -> list[Path]:
    """The files `paths` name: files as given, folders by their *.yaml/*.yml files (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir()
                            if p.suffix in PIPELINE_SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def _project(path: Path | None, registry: PluginRegistry) -> tuple[Project, list[Diagnostic]]:
    if path is None:
        path = find_project_file(Path.cwd())
        if path is None:
            return default_project(Path.cwd(), registry), []
    elif path.is_dir():
        path = path / PROJECT_FILE
    return read_project(path, registry)


def _pipelines(
    paths: Sequence[Path], project: Project, registry: PluginRegistry,
    alongside: Sequence[Path] = (),
) -> tuple[PipelineSet, list[Diagnostic]]:
    """The pipelines of `paths`, checked together with those of `alongside` that they do not
    replace (by file or by name)."""
    scope = Scope(project.connections, registry)
    files = pipeline_files(paths)
    drafts: list[PipelineDraft] = [load_pipeline_file(p, scope) for p in files]
    given, names = {p.resolve() for p in files}, {d.name for d in drafts if d.name}
    others = [load_pipeline_file(p, scope) for p in pipeline_files(alongside)
              if p.resolve() not in given]
    drafts = [d for d in others if d.name not in names] + drafts
    problems = [d for draft in drafts for d in draft.diagnostics] + check_set(drafts)
    loaded = {d.pipeline.name: d.pipeline for d in drafts if d.pipeline is not None}
    return PipelineSet(loaded), _unique(problems)


def _unique(problems: list[Diagnostic]) -> list[Diagnostic]:
    return list(dict.fromkeys(problems))
