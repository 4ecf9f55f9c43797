"""Every broken file in `cases/` must produce exactly the diagnostics in its `expected.txt`.

A case folder holds one or more pipeline files and optionally an `ml-connector.yaml`.
Without a project file the pipelines are checked against the default project, whose
connections are named after the installed (fake) connectors: `ledger` and `payments`.
Paths in `expected.txt` are relative to the case folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_plugins import FakeRegistry

from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.loading import load_pipelines, load_workspace

CASES = Path(__file__).parent / "cases"
PROJECT_FILE = "ml-connector.yaml"


def load_case(case: Path, registry: FakeRegistry) -> PipelineInvalid:
    """Load a case folder the way the CLI would and return the error it raised."""
    files = sorted(p for p in Path(".").glob("*.yaml") if p.name != PROJECT_FILE)
    with pytest.raises(PipelineInvalid) as raised:
        if (case / PROJECT_FILE).exists():
            load_workspace(Path(PROJECT_FILE), registry=registry, pipeline_paths=files)
        else:
            load_pipelines(files, project=None, registry=registry)
    return raised.value


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_case_reports_exactly_the_expected_diagnostics(
    case: Path, registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    error = load_case(case, registry)
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [str(d) for d in error.diagnostics] == expected
    assert str(error).splitlines() == expected
    assert error.exit_code == 2


def test_plaintext_secrets_are_never_echoed(
    registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES / "21-plaintext-secret"
    monkeypatch.chdir(case)
    message = str(load_case(case, registry))
    assert "31415926" not in message
    assert "whsec_fake123" not in message
    assert "is a secret" in message


def test_urls_that_may_hold_credentials_are_never_quoted(
    registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES / "39-urls-are-not-quoted"
    monkeypatch.chdir(case)
    message = str(load_case(case, registry))
    assert "hunter2" not in message
    assert "store.url: expected a database URL" in message


def test_there_are_at_least_25_distinct_mistakes() -> None:
    cases = [p for p in CASES.iterdir() if p.is_dir()]
    messages = {(p / "expected.txt").read_text(encoding="utf-8") for p in cases}
    assert len(messages) == len(cases) >= 25
