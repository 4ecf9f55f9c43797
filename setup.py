"""Package discovery for the fixed top-level layout.

The repository keeps `engine/`, `connectors/`, `pipelines/` and `schemas/` at the top level,
while the installed distribution exposes them as `ml_connector.*`. setuptools' automatic
discovery cannot follow a `package-dir` mapping into sub-folders, so the sub-packages are
listed here from the folders themselves: adding a folder with an `__init__.py` is enough.
"""

from pathlib import Path

from setuptools import setup

ROOTS = {
    "engine": "ml_connector.engine",
    "connectors": "ml_connector.connectors",
    "pipelines": "ml_connector.pipelines",
    "schemas": "ml_connector.schemas",
}


def discover_packages() -> list[str]:
    here = Path(__file__).parent
    found = []
    for folder, dotted in ROOTS.items():
        for init in sorted((here / folder).rglob("__init__.py")):
            parts = init.parent.relative_to(here / folder).parts
            found.append(".".join((dotted, *parts)))
    return found


setup(packages=discover_packages())
